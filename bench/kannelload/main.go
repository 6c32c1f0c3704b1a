// Command kannelload drives Kannel's smsbox with HTTP sendsms requests and
// receives its delivery-report callbacks, for bench/kannel.sh.
//
// It sends -warmup uncounted messages, then -messages measured ones from
// -concurrency clients as
//
//	GET /cgi-bin/sendsms?username=..&password=..&to=..&text=..&dlr-mask=3&dlr-url=http://127.0.0.1:PORT/dlr?id=N&type=%d
//
// and counts the callbacks per message on 127.0.0.1:PORT. A callback of type 1
// (delivered) or 2 (undeliverable) is final. It reports the accept rate and
// HTTP latency, the time from the first measured request until the last final
// callback (the end-to-end rate) and accept → final per message, in the same
// line format as `detour load`. It only talks to 127.0.0.1, and stops by itself
// after -timeout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	sendsms := flag.String("sendsms", "http://127.0.0.1:13013/cgi-bin/sendsms", "smsbox sendsms URL (must be on 127.0.0.1)")
	user := flag.String("username", "bench", "sendsms-user username")
	pass := flag.String("password", "bench", "sendsms-user password")
	dlrAddr := flag.String("dlr-addr", "127.0.0.1:13080", "address to receive the delivery-report callbacks on (127.0.0.1 only)")
	n := flag.Int("messages", 20000, "measured messages")
	warmup := flag.Int("warmup", 200, "messages sent first and left out of the figures")
	conc := flag.Int("concurrency", 64, "concurrent HTTP clients")
	timeout := flag.Duration("timeout", 3*time.Minute, "give up on missing callbacks after this long")
	idle := flag.Duration("idle", 15*time.Second, "give up on missing callbacks when none has arrived for this long")
	flag.Parse()
	if err := run(*sendsms, *user, *pass, *dlrAddr, *n, *warmup, *conc, *timeout, *idle); err != nil {
		fmt.Fprintln(os.Stderr, "kannelload:", err)
		os.Exit(1)
	}
}

// recv keeps the callbacks per message id.
type recv struct {
	total     int
	byType    []atomic.Int32 // callbacks of type 1, 2, 4, 8, 16 by id: index id*5+k
	finalAt   []atomic.Int64 // unix nanoseconds of the first final callback, 0 if none
	finals    atomic.Int64   // messages with a final callback
	dups      atomic.Int64   // final callbacks after the first for the same message
	other     atomic.Int64   // callbacks that could not be parsed
	done      chan struct{}  // closed when the measured messages all have a final callback
	doneOnce  sync.Once
	from, cnt int // measured ids: [from, from+cnt)
	measured  atomic.Int64
}

func typeIndex(t int) int {
	switch t {
	case 1:
		return 0
	case 2:
		return 1
	case 4:
		return 2
	case 8:
		return 3
	case 16:
		return 4
	}
	return -1
}

func (r *recv) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	now := time.Now().UnixNano()
	q := req.URL.Query()
	id, err1 := strconv.Atoi(q.Get("id"))
	typ, err2 := strconv.Atoi(q.Get("type"))
	k := typeIndex(typ)
	if err1 != nil || err2 != nil || id < 0 || id >= r.total || k < 0 {
		r.other.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.byType[id*5+k].Add(1)
	if typ == 1 || typ == 2 {
		if r.finalAt[id].CompareAndSwap(0, now) {
			r.finals.Add(1)
			if id >= r.from && id < r.from+r.cnt && int(r.measured.Add(1)) == r.cnt {
				r.doneOnce.Do(func() { close(r.done) })
			}
		} else {
			r.dups.Add(1)
		}
	}
	w.WriteHeader(http.StatusOK)
}

func run(sendsms, user, pass, dlrAddr string, n, warmup, conc int, timeout, idle time.Duration) error {
	u, err := url.Parse(sendsms)
	if err != nil {
		return err
	}
	if h := u.Hostname(); h != "127.0.0.1" {
		return fmt.Errorf("sendsms URL must be on 127.0.0.1, not %q", h)
	}
	if h, _, err := net.SplitHostPort(dlrAddr); err != nil || h != "127.0.0.1" {
		return fmt.Errorf("dlr-addr must be 127.0.0.1:PORT, not %q", dlrAddr)
	}
	if n <= 0 || warmup < 0 || conc <= 0 {
		return errors.New("messages and concurrency must be positive, warmup not negative")
	}
	total := warmup + n
	r := &recv{total: total, byType: make([]atomic.Int32, total*5), finalAt: make([]atomic.Int64, total),
		done: make(chan struct{}), from: warmup, cnt: n}
	ln, err := net.Listen("tcp", dlrAddr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conc * 2, MaxIdleConnsPerHost: conc * 2, IdleConnTimeout: time.Minute,
	}}
	acceptedAt := make([]int64, total) // unix nanoseconds of the 2xx answer
	latency := make([]time.Duration, total)
	var refused atomic.Int64
	var errMu sync.Mutex
	errs := map[string]int{}
	send := func(id int) {
		q := url.Values{}
		q.Set("username", user)
		q.Set("password", pass)
		q.Set("to", fmt.Sprintf("4474%08d", 123456+id%1000000))
		q.Set("text", fmt.Sprintf("Your Detour code is %06d", (id*7919)%1000000))
		q.Set("dlr-mask", "3")
		q.Set("dlr-url", fmt.Sprintf("http://%s/dlr?id=%d&type=%%d", dlrAddr, id))
		t0 := time.Now()
		kind := ""
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, sendsms+"?"+q.Encode(), nil)
		if err == nil {
			var resp *http.Response
			resp, err = hc.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					kind = resp.Status
				}
			}
		}
		t1 := time.Now()
		latency[id] = t1.Sub(t0)
		if err != nil {
			kind = "transport"
		}
		if kind != "" {
			refused.Add(1)
			errMu.Lock()
			errs[kind]++
			errMu.Unlock()
			return
		}
		acceptedAt[id] = t1.UnixNano()
	}
	// sendRange sends ids [from, to) from conc clients and returns when all
	// have been answered.
	sendRange := func(from, to int) {
		var next atomic.Int64
		next.Store(int64(from))
		var wg sync.WaitGroup
		for range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					id := int(next.Add(1)) - 1
					if id >= to {
						return
					}
					send(id)
				}
			}()
		}
		wg.Wait()
	}

	// Warm-up: sent and waited for (at most 10 s), then left out.
	sendRange(0, warmup)
	wdl := time.Now().Add(10 * time.Second)
	for time.Now().Before(wdl) && int(r.finals.Load()) < warmup {
		time.Sleep(10 * time.Millisecond)
	}
	warmFinals := int(r.finals.Load())
	refusedWarm := refused.Load()

	start := time.Now()
	sendRange(warmup, total)
	acceptTime := time.Since(start)
	// Wait for every final callback, or until none has come for idle:
	// Kannel drops a receipt it cannot match yet, and its message never
	// becomes final.
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	seen, quietSince := r.finals.Load(), time.Now()
wait:
	for {
		select {
		case <-r.done:
			break wait
		case <-ctx.Done():
			break wait
		case now := <-tick.C:
			if f := r.finals.Load(); f != seen {
				seen, quietSince = f, now
			} else if now.Sub(quietSince) > idle {
				break wait
			}
		}
	}

	accepted := 0
	var lat, toFinal []time.Duration
	var last int64
	final := 0
	var byType [5]int
	for id := warmup; id < total; id++ {
		lat = append(lat, latency[id])
		if acceptedAt[id] != 0 {
			accepted++
		}
		for k := range 5 {
			byType[k] += int(r.byType[id*5+k].Load())
		}
		f := r.finalAt[id].Load()
		if f == 0 {
			continue
		}
		final++
		last = max(last, f)
		if acceptedAt[id] != 0 {
			toFinal = append(toFinal, time.Duration(max(0, f-acceptedAt[id])))
		}
	}
	fmt.Printf("Warm-up   %d messages, %d refused, %d final callbacks within 10 s\n", warmup, refusedWarm, warmFinals)
	fmt.Printf("Accepted  %d of %d in %.2fs: %.0f messages/s; HTTP latency p50 %s, p90 %s, p99 %s, max %s\n",
		accepted, n, acceptTime.Seconds(), float64(accepted)/acceptTime.Seconds(),
		pct(lat, 50), pct(lat, 90), pct(lat, 99), pct(lat, 100))
	if r := refused.Load() - refusedWarm; r > 0 {
		fmt.Printf("Refused   %d requests: %v\n", r, errs)
	}
	var total2 time.Duration
	if last != 0 {
		total2 = time.Duration(last - start.UnixNano())
	}
	rate := 0.0
	if total2 > 0 {
		rate = float64(final) / total2.Seconds()
	}
	fmt.Printf("Final     %d of %d in %.2fs: %.0f messages/s end to end; accepted → final p50 %s, p99 %s\n",
		final, accepted, total2.Seconds(), rate, pct(toFinal, 50), pct(toFinal, 99))
	fmt.Printf("Callbacks delivered(1) %d, undeliverable(2) %d, buffered(4) %d, smsc-ack(8) %d, smsc-nack(16) %d; duplicate finals %d, unparsed %d\n",
		byType[0], byType[1], byType[2], byType[3], byType[4], r.dups.Load(), r.other.Load())
	if final < n {
		return fmt.Errorf("only %d of %d measured messages got a final callback", final, n)
	}
	return nil
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	i = min(max(i-1, 0), len(s)-1)
	return s[i].Round(10 * time.Microsecond)
}
