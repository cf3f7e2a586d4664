"""Open-loop load on POST /v1/events: batches of 500 view events at a fixed rate (default 100
batches/s = 50,000 events/s) from 4 threads with keep-alive connections; prints the median,
p99 and max latency and the errors. Usage:
  RECUR_KEY=KEY python3 serve_events_rate.py [HOST:PORT] [BATCHES_PER_S] [SECONDS]
With RECUR_TIMELINE=FILE it also writes one line per batch: the Unix time it was due and its
latency in ms (to line up slow answers with what the server was doing)."""
import http.client, json, os, sys, threading, time

host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8080"
rate = float(sys.argv[2]) if len(sys.argv) > 2 else 100.0
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 30.0
key = os.environ["RECUR_KEY"]
threads = 4
run = str(int(time.time()))
events = ",".join('{"type":"view","customer_id":"c%d","product_id":"p%d"}' % (i % 997, i % 300) for i in range(500))
lat, errors, lock = [], [0], threading.Lock()
timeline, wall0, perf0 = [], time.time(), time.perf_counter()

def worker(t):
    conn = http.client.HTTPConnection(host, timeout=10)
    interval = threads / rate
    start = time.perf_counter() + t * interval / threads
    n = 0
    while True:
        due = start + n * interval
        if due - start > seconds:
            break
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)
        body = '{"idempotency_key":"r%s-%d-%d","events":[%s]}' % (run, t, n, events)
        sent = time.perf_counter()
        try:
            conn.request("POST", "/v1/events", body, {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
            r = conn.getresponse(); r.read()
            ok = r.status == 200
        except Exception:
            ok = False
            conn = http.client.HTTPConnection(host, timeout=10)
        # Latency from when the request was due (open loop: waiting counts).
        with lock:
            lat.append(time.perf_counter() - due)
            timeline.append((wall0 + (due - perf0), lat[-1]))
            if not ok:
                errors[0] += 1
        n += 1

ts = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
[t.start() for t in ts]; [t.join() for t in ts]
lat.sort()
if os.environ.get("RECUR_TIMELINE"):
    with open(os.environ["RECUR_TIMELINE"], "w") as f:
        for at, l in sorted(timeline):
            f.write("%.3f %.2f\n" % (at, l * 1000))
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
print(json.dumps({"batches": len(lat), "events_per_s": round(len(lat) * 500 / seconds), "p50_ms": round(q(0.5), 2),
                  "p99_ms": round(q(0.99), 2), "max_ms": round(lat[-1] * 1000, 2), "errors": errors[0]}))
