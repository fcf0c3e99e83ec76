//! Batch repricing from Python: `Repricer.price_chunk` (JSON Lines bytes in, one JSON result per line out)
//! and `Repricer.reprice_file` (streams a file to a file in bounded chunks, with progress and a
//! discrepancy report). Work runs on a dedicated rayon pool with the interpreter released.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::str::FromStr;

use ocpi_engine::pricing::PriceOptions;
use ocpi_engine::reprice::{split_lines, Outcome, Repricer};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rust_decimal::Decimal;

use crate::convert::{json_bytes, zone};
use crate::errors::PyEngineError;

const CHUNK_BYTES: usize = 4 << 20;
/// Lines one worker prices into one output buffer.
const BLOCK_LINES: usize = 256;

/// The output of a block of lines: result lines (each ending in a newline), discrepancy rows, and their stats.
struct Block {
    json: String,
    csv: String,
    stats: Stats,
}

#[pyclass(frozen, name = "Repricer", module = "ocpi_engine._core")]
pub struct PyRepricer {
    inner: Repricer,
    pool: rayon::ThreadPool,
}

fn os_error(what: &str, path: &std::path::Path, err: &std::io::Error) -> PyErr {
    PyOSError::new_err(format!("{what} {}: {err}", path.display()))
}

#[pymethods]
impl PyRepricer {
    /// `tariffs`: JSON bytes/str of one Tariff or an array used for every CDR (None: each CDR's own).
    /// `tolerance`: stated totals differing by more than this (default 0.005) are discrepancies.
    #[new]
    #[pyo3(signature = (tariffs=None, *, time_zone=None, currency_rounding=false, tolerance=None, workers=None, breakdown=false))]
    fn new(
        tariffs: Option<&Bound<'_, PyAny>>,
        time_zone: Option<&str>,
        currency_rounding: bool,
        tolerance: Option<&str>,
        workers: Option<usize>,
        breakdown: bool,
    ) -> PyResult<Self> {
        let tariffs = tariffs.map(|t| json_bytes(t, "tariffs")).transpose()?;
        let tolerance = Decimal::from_str(tolerance.unwrap_or("0.005"))
            .map_err(|_| PyValueError::new_err("tolerance must be a decimal number such as 0.01"))?;
        let options = PriceOptions { time_zone: zone(time_zone)?, currency_rounding, version: None, skip_breakdown: false };
        let inner = Repricer::new(tariffs.as_deref(), options, tolerance, breakdown).map_err(PyEngineError)?;
        let threads = workers.unwrap_or(0);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("ocpi-reprice-{i}"))
            .build()
            .map_err(|e| PyValueError::new_err(format!("cannot start {threads} workers: {e}")))?;
        Ok(Self { inner, pool })
    }

    /// Number of worker threads.
    #[getter]
    fn workers(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Price every non-empty line of `data` (JSON Lines) in parallel; one JSON string per line, in order.
    /// `first_line` numbers the first line (1-based) in the results.
    #[pyo3(signature = (data, first_line=1))]
    fn price_chunk(&self, py: Python<'_>, data: &[u8], first_line: u64) -> Vec<String> {
        let results = py.detach(|| {
            let lines = split_lines(data);
            self.pool.install(|| self.inner.price_lines(first_line, &lines))
        });
        results.into_iter().map(|r| r.json).collect()
    }

    /// Reprice `input` (JSON Lines) into `output` (one JSON result per line, same order), streaming in
    /// bounded chunks. `discrepancies`: optional CSV of every stated total that differs. `progress` is called
    /// as `progress(records_done, bytes_done, bytes_total)` after each chunk. Returns a summary dict.
    #[pyo3(signature = (input, output, *, discrepancies=None, progress=None))]
    fn reprice_file<'py>(
        &self,
        py: Python<'py>,
        input: PathBuf,
        output: PathBuf,
        discrepancies: Option<PathBuf>,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let mut reader = File::open(&input).map_err(|e| os_error("cannot read", &input, &e))?;
        let total_bytes = reader.metadata().map(|m| m.len()).unwrap_or(0);
        let out_file = File::create(&output).map_err(|e| os_error("cannot write", &output, &e))?;
        let csv_file = match &discrepancies {
            Some(path) => Some(File::create(path).map_err(|e| os_error("cannot write", path, &e))?),
            None => None,
        };
        // Writing runs on its own thread, one chunk behind the pricing (bounded channel: memory stays bounded).
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Block>>(2);
        let writer = std::thread::spawn(move || -> std::io::Result<()> {
            let mut out = BufWriter::with_capacity(1 << 20, out_file);
            let mut csv = csv_file.map(|f| BufWriter::with_capacity(1 << 20, f));
            if let Some(w) = csv.as_mut() {
                w.write_all(b"line,id,field,stated,computed,difference\n")?;
            }
            for blocks in receiver {
                for block in &blocks {
                    out.write_all(block.json.as_bytes())?;
                    if let Some(w) = csv.as_mut() {
                        w.write_all(block.csv.as_bytes())?;
                    }
                }
            }
            out.flush()?;
            if let Some(w) = csv.as_mut() {
                w.flush()?;
            }
            Ok(())
        });
        // Reading and line splitting run on their own thread too, one chunk ahead of the pricing, so the workers
        // never wait for the file (bounded channel: at most two chunks read ahead).
        let (chunk_sender, chunks) = std::sync::mpsc::sync_channel::<std::io::Result<Chunk>>(2);
        // A Mutex makes the receiver shareable with the interpreter-free closure below (Receiver is not Sync).
        let chunks = std::sync::Mutex::new(chunks);
        let reader = std::thread::spawn(move || read_chunks(&mut reader, &chunk_sender));
        let mut stats = Stats::default();
        let mut failure: Option<PyErr> = None;
        loop {
            let chunk = match py.detach(|| chunks.lock().map_err(|_| std::sync::mpsc::RecvError).and_then(|c| c.recv())) {
                Ok(Ok(chunk)) => chunk,
                Ok(Err(e)) => {
                    failure = Some(os_error("cannot read", &input, &e));
                    break;
                }
                Err(_) => break, // the reader finished: end of input
            };
            // Each worker prices a block of lines into one output buffer: a few allocations per block, not
            // several per record.
            let blocks: Vec<Block> = py.detach(|| {
                self.pool.install(|| {
                    use rayon::prelude::*;
                    chunk.lines.par_chunks(BLOCK_LINES).map(|lines| self.price_block(&chunk.data, lines)).collect()
                })
            });
            for block in &blocks {
                stats.merge(&block.stats);
            }
            let empty = blocks.is_empty();
            if sender.send(blocks).is_err() {
                break; // the writer failed; its error is reported below
            }
            if let (Some(callback), false) = (&progress, empty) {
                if let Err(e) = callback.call1((stats.records, chunk.bytes_done, total_bytes)) {
                    failure = Some(e);
                    break;
                }
            }
            if let Err(e) = py.check_signals() {
                failure = Some(e);
                break;
            }
        }
        // Stop the reader if we left early (it sees the closed channel), then wait for it.
        drop(chunks);
        let _ = py.detach(|| reader.join());
        drop(sender);
        let written = py.detach(|| writer.join());
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(os_error("cannot write", &output, &e)),
            Err(_) => return Err(PyOSError::new_err(format!("the writer of {} stopped unexpectedly", output.display()))),
        }
        if let Some(e) = failure {
            return Err(e);
        }
        let summary = PyDict::new(py);
        summary.set_item("records", stats.records)?;
        summary.set_item("priced", stats.priced)?;
        summary.set_item("errors", stats.errors)?;
        summary.set_item("with_discrepancies", stats.with_discrepancies)?;
        summary.set_item("max_abs_difference", stats.max_abs_difference)?;
        summary.set_item("total_cost_difference_excl_vat", stats.total_cost_difference)?;
        Ok(summary)
    }
}

impl PyRepricer {
    fn price_block(&self, data: &[u8], lines: &[(u64, usize, usize)]) -> Block {
        let mut block = Block { json: String::with_capacity(lines.len() * 640), csv: String::new(), stats: Stats::default() };
        for &(number, from, to) in lines {
            let outcome = self.inner.write_line(number, &data[from..to], &mut block.json, &mut block.csv);
            block.json.push('\n');
            block.stats.add(&outcome);
        }
        block
    }
}

/// A run of whole input lines and where each non-blank one lies: `(line number, start, end)` in `data`.
struct Chunk {
    data: Vec<u8>,
    lines: Vec<(u64, usize, usize)>,
    /// Input bytes read so far (for progress).
    bytes_done: u64,
}

/// Read `input` in chunks of about `CHUNK_BYTES` cut at line ends, number the lines (blank ones count, so
/// numbers match the file) and send them; stops at the end, on a read error (sent), or when nobody listens.
fn read_chunks(input: &mut impl Read, sender: &std::sync::mpsc::SyncSender<std::io::Result<Chunk>>) {
    let mut carry: Vec<u8> = Vec::new();
    let mut next_line: u64 = 1;
    let mut bytes_done: u64 = 0;
    loop {
        let mut data = Vec::with_capacity(CHUNK_BYTES + carry.len());
        data.append(&mut carry);
        let start = data.len();
        data.resize(start + CHUNK_BYTES, 0);
        let mut filled = start;
        while filled < data.len() {
            match input.read(&mut data[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = sender.send(Err(e));
                    return;
                }
            }
        }
        bytes_done += (filled - start) as u64;
        data.truncate(filled);
        let at_end = filled < start + CHUNK_BYTES;
        let cut = if at_end { data.len() } else { memchr::memrchr(b'\n', &data).map_or(0, |i| i + 1) };
        if cut == 0 && !at_end {
            carry = data; // one line longer than a chunk: keep reading
            continue;
        }
        carry.extend_from_slice(&data[cut..]);
        data.truncate(cut);
        let mut lines = Vec::with_capacity(data.len() / 512 + 1);
        let mut from = 0;
        while from < data.len() {
            let end = memchr::memchr(b'\n', &data[from..]).map_or(data.len(), |i| from + i);
            let mut stop = end;
            if stop > from && data[stop - 1] == b'\r' {
                stop -= 1;
            }
            if data[from..stop].iter().any(|b| !b.is_ascii_whitespace()) {
                lines.push((next_line, from, stop));
            }
            next_line += 1;
            from = end + 1;
        }
        if !lines.is_empty() && sender.send(Ok(Chunk { data, lines, bytes_done })).is_err() {
            return;
        }
        if at_end {
            return;
        }
    }
}

#[derive(Default)]
struct Stats {
    records: u64,
    priced: u64,
    errors: u64,
    with_discrepancies: u64,
    max_abs_difference: Decimal,
    total_cost_difference: Decimal,
}

impl Stats {
    fn add(&mut self, outcome: &Outcome) {
        self.records += 1;
        let discrepancies = match outcome {
            Outcome::Failed { .. } => {
                self.errors += 1;
                return;
            }
            Outcome::Priced { discrepancies, .. } => discrepancies,
        };
        self.priced += 1;
        if !discrepancies.is_empty() {
            self.with_discrepancies += 1;
        }
        for d in discrepancies {
            let diff = d.difference();
            self.max_abs_difference = self.max_abs_difference.max(diff.abs());
            if d.field == "total_cost.excl_vat" {
                self.total_cost_difference += diff;
            }
        }
    }

    fn merge(&mut self, other: &Stats) {
        self.records += other.records;
        self.priced += other.priced;
        self.errors += other.errors;
        self.with_discrepancies += other.with_discrepancies;
        self.max_abs_difference = self.max_abs_difference.max(other.max_abs_difference);
        self.total_cost_difference += other.total_cost_difference;
    }
}
