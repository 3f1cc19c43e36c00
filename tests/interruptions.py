"""A job killed part-way, for resume tests."""


def dies_at_call(real, n: int):
    """`real`, except that its call number `n` raises KeyboardInterrupt, as a job killed at that point."""
    calls = []

    def wrapped(*args, **kw):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt
        return real(*args, **kw)

    return wrapped
