"""``make monitor-demo``: the instructor's story, told in acts on the live monitor.

It starts what it needs (the project's Redis or ``REDIS_URL``, worker processes, the monitor
on a port it prints), then plays the acts one after another. Each act sets a scene, says what to
point at and which page of the monitor shows it, waits (Enter, or a timer with ``AUTO=1``), and
ends with one line that checks the queue kept its promise ("2,000 in, 2,000 done, 0 lost ...").
Ctrl-C stops everything it started, at any act.

One module per concern:

1. :mod:`.demo_jobs`: the job classes the acts enqueue, and the stand-in third-party API they
   call (a file the story switches between "down", "back" and "fixed");
2. :mod:`.stage`: what the story starts and stops: Redis, the workers, the monitor, the
   scheduler;
3. :mod:`.tally`: counting an act's jobs by their status, into its closing line;
4. :mod:`.acts`: the acts themselves, in order;
5. :mod:`.story`: the runner: headers, Enter or the timer, Ctrl-C.
"""
