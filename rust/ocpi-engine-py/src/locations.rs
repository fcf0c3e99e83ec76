//! `diff_locations`, `apply_location_ops` and the `LocationOp` result class.

use ocpi_engine::location_diff::{apply_location_ops_json, LocationDiff, LocationOp};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::convert::json_bytes;
use crate::errors::PyEngineError;

/// One Receiver-interface call of the Locations module: `method` on `path` below the locations endpoint.
#[pyclass(frozen, name = "LocationOp", module = "ocpi_engine._core")]
pub struct PyLocationOp {
    op: LocationOp,
}

impl From<LocationOp> for PyLocationOp {
    fn from(op: LocationOp) -> Self {
        Self { op }
    }
}

#[pymethods]
impl PyLocationOp {
    /// `"PUT"` or `"PATCH"`.
    #[getter]
    fn method(&self) -> &'static str {
        self.op.method.as_str()
    }
    #[getter]
    fn country_code(&self) -> &str {
        &self.op.country_code
    }
    #[getter]
    fn party_id(&self) -> &str {
        &self.op.party_id
    }
    #[getter]
    fn location_id(&self) -> &str {
        &self.op.location_id
    }
    #[getter]
    fn evse_uid(&self) -> Option<&str> {
        self.op.evse_uid.as_deref()
    }
    #[getter]
    fn connector_id(&self) -> Option<&str> {
        self.op.connector_id.as_deref()
    }
    /// JSON body: a whole Location/EVSE/Connector for PUT, the changed fields plus `last_updated` for PATCH.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.op.body)
    }
    /// `/{country_code}/{party_id}/{location_id}[/{evse_uid}[/{connector_id}]]`.
    #[getter]
    fn path(&self) -> String {
        self.op.path()
    }
    fn __repr__(&self) -> String {
        format!("LocationOp({} {} {})", self.op.method, self.op.path(), String::from_utf8_lossy(&self.op.body))
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyLocationOp>().is_ok_and(|o| o.get().op == self.op)
    }
}

/// The minimal PUT/PATCH operations turning a Receiver's copy of `old` into `new` (JSON arrays of 2.2.1
/// Locations, bytes or str). `removed_at` dates the REMOVED patches of vanished Locations (default: the latest
/// `last_updated` of `new`). Runs without the GIL.
#[pyfunction]
#[pyo3(signature = (old, new, *, removed_at=None))]
pub fn diff_locations(
    py: Python<'_>,
    old: &Bound<'_, PyAny>,
    new: &Bound<'_, PyAny>,
    removed_at: Option<&str>,
) -> PyResult<Vec<PyLocationOp>> {
    let old = json_bytes(old, "old")?;
    let new = json_bytes(new, "new")?;
    let (old, new) = (old.as_ref(), new.as_ref());
    let ops = py
        .detach(|| {
            let diff = LocationDiff::new(old, new);
            match removed_at {
                Some(at) => diff.removed_at(at).run(),
                None => diff.run(),
            }
        })
        .map_err(PyEngineError)?;
    Ok(ops.into_iter().map(PyLocationOp::from).collect())
}

/// Apply `ops` to `snapshot` (JSON array of Locations, bytes or str) with OCPI Receiver semantics; returns
/// the resulting array as JSON bytes. Runs without the GIL.
#[pyfunction]
#[expect(clippy::needless_pass_by_value, reason = "PyO3 extracts the list argument by value")]
pub fn apply_location_ops<'py>(
    py: Python<'py>,
    snapshot: &Bound<'py, PyAny>,
    ops: Vec<PyRef<'py, PyLocationOp>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let snapshot = json_bytes(snapshot, "snapshot")?;
    let snapshot = snapshot.as_ref();
    let ops: Vec<LocationOp> = ops.iter().map(|op| op.op.clone()).collect();
    let applied = py.detach(|| apply_location_ops_json(snapshot, &ops)).map_err(PyEngineError)?;
    Ok(PyBytes::new(py, &applied))
}
