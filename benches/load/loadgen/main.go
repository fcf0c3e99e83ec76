// loadgen: open-loop (constant arrival rate) HTTP/1.1 load on loopback, latency measured from each request's
// intended start, so a slow server cannot hide its queueing (no coordinated omission). Bounded in time.
//
//	go run . -url http://127.0.0.1:8000 -path /ocpi/2.2.1/emsp/tokens/TOK%07d/authorize -n 100000 \
//	    -rate 2000 -duration 10s -auth "Token ..."
//
// Requests go over raw keep-alive TCP connections with pre-built bytes (a net/http client costs several times
// the CPU, which on a 2-core machine is taken from the server under test). Prints one JSON object: intended and
// achieved rate, counts, p50/p90/p99/max in milliseconds.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type result struct {
	latency float64
	status  int
	err     bool
}

// exchange writes one request and reads one response (Content-Length framed); returns the status code.
func exchange(conn net.Conn, reader *bufio.Reader, request []byte) (int, error) {
	if _, err := conn.Write(request); err != nil {
		return 0, err
	}
	line, err := reader.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	fields := bytes.Fields(line)
	if len(fields) < 2 {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(fields[1]))
	if err != nil {
		return 0, err
	}
	length := -1
	for {
		header, err := reader.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(bytes.TrimSpace(header)) == 0 {
			break
		}
		if colon := bytes.IndexByte(header, ':'); colon > 0 &&
			strings.EqualFold(string(header[:colon]), "content-length") {
			length, err = strconv.Atoi(string(bytes.TrimSpace(header[colon+1:])))
			if err != nil {
				return 0, err
			}
		}
	}
	if length < 0 {
		return 0, fmt.Errorf("response without Content-Length")
	}
	if _, err := reader.Discard(length); err != nil {
		return 0, err
	}
	return status, nil
}

func main() {
	base := flag.String("url", "", "base URL, http://127.0.0.1:PORT (loopback only)")
	path := flag.String("path", "/", "path; a %d verb is replaced by a random number in [0, n)")
	n := flag.Int("n", 1, "how many distinct numbers the path's %d takes")
	method := flag.String("method", "POST", "HTTP method")
	rate := flag.Float64("rate", 1000, "requests per second (open loop)")
	duration := flag.Duration("duration", 10*time.Second, "how long to send")
	conns := flag.Int("conns", 64, "connections (most requests in flight)")
	auth := flag.String("auth", "", "Authorization header value")
	flag.Parse()
	address, found := strings.CutPrefix(*base, "http://")
	if !found || !strings.HasPrefix(address, "127.0.0.1:") {
		fmt.Fprintln(os.Stderr, "loadgen only targets http://127.0.0.1:PORT")
		os.Exit(2)
	}
	total := int(*rate * duration.Seconds())
	rng := rand.New(rand.NewSource(42))
	requests := make([][]byte, total)
	for i := range requests {
		p := *path
		if strings.Contains(p, "%") {
			p = fmt.Sprintf(p, rng.Intn(*n))
		}
		head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\n", *method, p, address)
		if *auth != "" {
			head += "Authorization: " + *auth + "\r\n"
		}
		requests[i] = []byte(head + "\r\n")
	}
	jobs := make(chan int, total)
	results := make([]result, total)
	intendedAt := make([]time.Time, total)
	var wg sync.WaitGroup
	for w := 0; w < *conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var conn net.Conn
			var reader *bufio.Reader
			for i := range jobs {
				if conn == nil {
					c, err := net.DialTimeout("tcp", address, 2*time.Second)
					if err != nil {
						results[i] = result{latency: float64(time.Since(intendedAt[i]).Microseconds()) / 1000, err: true}
						continue
					}
					conn, reader = c, bufio.NewReaderSize(c, 16384)
				}
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				status, err := exchange(conn, reader, requests[i])
				results[i] = result{latency: float64(time.Since(intendedAt[i]).Microseconds()) / 1000, status: status,
					err: err != nil}
				if err != nil {
					conn.Close()
					conn = nil
				}
			}
			if conn != nil {
				io.WriteString(conn, "")
				conn.Close()
			}
		}()
	}
	start := time.Now()
	interval := time.Duration(float64(time.Second) / *rate)
	for i := 0; i < total; i++ {
		intendedAt[i] = start.Add(time.Duration(i) * interval)
		if d := time.Until(intendedAt[i]); d > 0 {
			time.Sleep(d)
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	wall := time.Since(start).Seconds()
	latencies := make([]float64, 0, total)
	ok, non2xx, failed := 0, 0, 0
	for _, r := range results {
		latencies = append(latencies, r.latency)
		switch {
		case r.err:
			failed++
		case r.status >= 200 && r.status < 300:
			ok++
		default:
			non2xx++
		}
	}
	sort.Float64s(latencies)
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[int(p*float64(len(latencies)-1))]
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"intended_rps": *rate, "achieved_rps": float64(len(latencies)) / wall, "sent": len(latencies),
		"ok": ok, "non2xx": non2xx, "failed": failed,
		"p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99), "max_ms": pct(1.0),
	})
}
