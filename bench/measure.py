"""measure.py — what the benchmarks share for watching a process: its resident memory now, and
its peak while something runs."""
import threading
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class PeakRss:
    """Samples a process's resident memory every 50 ms while a transfer runs."""

    def __init__(self, pid):
        self.pid, self.peak, self.base = pid, 0, rss_kib(pid)
        self.done = threading.Event()
        self.t = threading.Thread(target=self.run)
        self.t.start()

    def run(self):
        while not self.done.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.05)

    def stop(self):
        self.done.set()
        self.t.join()
        return self.base / 1024, self.peak / 1024
