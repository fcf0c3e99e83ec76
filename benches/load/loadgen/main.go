// loadgen: open-loop (constant arrival rate) HTTP load on loopback, latency measured from each request's
// intended start, so a slow server cannot hide its queueing (no coordinated omission). Bounded in time.
//
//	go run . -url http://127.0.0.1:8000 -path /ocpi/2.2.1/emsp/tokens/TOK%07d/authorize -n 100000 \
//	    -rate 2000 -duration 10s -auth "Token ..."
//
// Prints one JSON object: intended and achieved rate, counts, p50/p90/p99/max in milliseconds.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	base := flag.String("url", "", "base URL (loopback only)")
	path := flag.String("path", "/", "path; a %d verb is replaced by a random number in [0, n)")
	n := flag.Int("n", 1, "how many distinct numbers the path's %d takes")
	method := flag.String("method", "POST", "HTTP method")
	rate := flag.Float64("rate", 1000, "requests per second (open loop)")
	duration := flag.Duration("duration", 10*time.Second, "how long to send")
	conns := flag.Int("conns", 64, "most requests in flight (connections)")
	auth := flag.String("auth", "", "Authorization header value")
	flag.Parse()
	if !strings.HasPrefix(*base, "http://127.0.0.1:") {
		fmt.Fprintln(os.Stderr, "loadgen only targets http://127.0.0.1:PORT")
		os.Exit(2)
	}
	transport := &http.Transport{
		MaxIdleConns: *conns, MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns,
		DialContext:        (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		DisableCompression: true,
	}
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	total := int(*rate * duration.Seconds())
	latencies := make([]float64, 0, total)
	var mu sync.Mutex
	var ok, non2xx, failed int
	jobs := make(chan time.Time, total)
	var wg sync.WaitGroup
	rng := rand.New(rand.NewSource(42))
	paths := make([]string, total)
	for i := range paths {
		if strings.Contains(*path, "%") {
			paths[i] = fmt.Sprintf(*path, rng.Intn(*n))
		} else {
			paths[i] = *path
		}
	}
	next := make(chan string, total)
	for _, p := range paths {
		next <- p
	}
	for w := 0; w < *conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for intended := range jobs {
				p := <-next
				req, _ := http.NewRequest(*method, *base+p, nil)
				if *auth != "" {
					req.Header.Set("Authorization", *auth)
				}
				resp, err := client.Do(req)
				status := 0
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = resp.StatusCode
				}
				elapsed := float64(time.Since(intended).Microseconds()) / 1000
				mu.Lock()
				latencies = append(latencies, elapsed)
				switch {
				case err != nil:
					failed++
				case status >= 200 && status < 300:
					ok++
				default:
					non2xx++
				}
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	interval := time.Duration(float64(time.Second) / *rate)
	for i := 0; i < total; i++ {
		intended := start.Add(time.Duration(i) * interval)
		if d := time.Until(intended); d > 0 {
			time.Sleep(d)
		}
		jobs <- intended
	}
	close(jobs)
	wg.Wait()
	wall := time.Since(start).Seconds()
	sort.Float64s(latencies)
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		i := int(p * float64(len(latencies)-1))
		return latencies[i]
	}
	out := map[string]any{
		"intended_rps": *rate, "achieved_rps": float64(len(latencies)) / wall, "sent": len(latencies),
		"ok": ok, "non2xx": non2xx, "failed": failed,
		"p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99), "max_ms": pct(1.0),
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
