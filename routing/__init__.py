"""The call distribution engine: who is offered a waiting call.

Pure and synchronous: a decision is a function of a snapshot of the queue's members, the
waiting call and the queue's rotation memory, with no database and no clock, so every
decision can be predicted in a test and timed in a benchmark (``bench/routing.py``).
"""

from routing.engine import Decision, Member, QueuePolicy, Sticky, Strategy, WaitingCall, decide

__all__ = ["Decision", "Member", "QueuePolicy", "Strategy", "Sticky", "WaitingCall", "decide"]
