from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from routing import Decision, Member, QueuePolicy, Sticky, Strategy, WaitingCall, decide

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_round_robin_spreads_1000_calls_evenly_over_10_operators():
    members = [Member(operator_id=i, position=i) for i in range(1, 11)]
    policy = QueuePolicy(Strategy.round_robin)
    counts, last = Counter(), None
    for _ in range(1000):
        decision = decide(policy, members, WaitingCall(), last_offered=last)
        (last,) = decision.operator_ids
        counts[last] += 1
    assert all(abs(n - 100) <= 1 for n in counts.values()) and len(counts) == 10


def test_round_robin_skips_busy_members_and_keeps_its_place():
    members = [Member(1, 1), Member(2, 2, available=False), Member(3, 3)]
    policy = QueuePolicy(Strategy.round_robin)
    assert decide(policy, members, WaitingCall(), last_offered=1).operator_ids == (3,)
    assert decide(policy, members, WaitingCall(), last_offered=3).operator_ids == (1,)
    # The pointer may name a member who left the queue: start from the top.
    assert decide(policy, members, WaitingCall(), last_offered=99).operator_ids == (1,)


def test_ring_all_offers_every_available_member_in_queue_order():
    members = [Member(5, 2), Member(3, 1), Member(4, 3, available=False)]
    assert decide(QueuePolicy(Strategy.ring_all), members, WaitingCall()) == Decision((3, 5), "ring_all")


def test_skill_priority_prefers_level_then_longest_idle_then_queue_order():
    members = [
        Member(1, 1, skills={"sales": 5}, idle_since=T0),
        Member(2, 2, skills={"sales": 8}, idle_since=T0),
        Member(3, 3, skills={"sales": 8}, idle_since=T0 - timedelta(minutes=5)),
        Member(4, 4, skills={"sales": 9}, available=False),
    ]
    policy = QueuePolicy(Strategy.skill_priority, skill="sales")
    assert decide(policy, members, WaitingCall()).operator_ids == (3,)
    tied = [Member(7, 2, skills={"sales": 8}, idle_since=T0), Member(6, 2, skills={"sales": 8}, idle_since=T0)]
    assert decide(policy, tied, WaitingCall()).operator_ids == (6,)


def test_skill_priority_escalates_to_lower_levels_after_the_wait():
    members = [Member(1, 1, skills={"sales": 8}, available=False), Member(2, 2, skills={"english": 9})]
    policy = QueuePolicy(Strategy.skill_priority, skill="sales", min_level=5, escalate_after_seconds=30)
    assert decide(policy, members, WaitingCall(waited_seconds=29)) is None
    assert decide(policy, members, WaitingCall(waited_seconds=30)).operator_ids == (2,)


def test_longest_idle_picks_the_member_whose_last_call_ended_first():
    members = [Member(1, 1, idle_since=T0), Member(2, 2, idle_since=T0 - timedelta(hours=1)), Member(3, 3)]
    assert decide(QueuePolicy(Strategy.longest_idle), members, WaitingCall()).operator_ids == (3,)
    assert decide(QueuePolicy(Strategy.longest_idle), members[:2], WaitingCall()).operator_ids == (2,)


def test_sticky_manager_first_then_the_strategy():
    members = [Member(1, 1), Member(2, 2), Member(3, 3)]
    policy = QueuePolicy(Strategy.round_robin)
    owner = Sticky(operator_id=3, rule="owner")
    assert decide(policy, members, WaitingCall(sticky=owner)) == Decision((3,), "owner")
    # The manager let it ring: back to the queue's strategy.
    assert decide(policy, members, WaitingCall(sticky=owner, tried=frozenset({3}))) == Decision((1,), "round_robin")
    busy = Sticky(operator_id=3, rule="owner", available=False)
    assert decide(policy, members[:2], WaitingCall(sticky=busy)) == Decision((1,), "round_robin")


def test_members_already_tried_are_offered_again_only_when_nobody_else_is_free():
    members = [Member(1, 1), Member(2, 2)]
    policy = QueuePolicy(Strategy.longest_idle)
    assert decide(policy, members, WaitingCall(tried=frozenset({1}))).operator_ids == (2,)
    assert decide(policy, members, WaitingCall(tried=frozenset({1, 2}))).operator_ids == (1,)


def test_nobody_available_means_no_decision():
    members = [Member(1, 1, available=False)]
    for strategy in Strategy:
        assert decide(QueuePolicy(strategy), members, WaitingCall()) is None


member_lists = st.lists(
    st.builds(
        Member,
        operator_id=st.integers(1, 30),
        position=st.integers(0, 5),
        available=st.booleans(),
        skills=st.dictionaries(st.sampled_from(["sales", "english"]), st.integers(0, 10), max_size=2),
        idle_since=st.none()
        | st.datetimes(
            min_value=T0.replace(tzinfo=None),
            max_value=T0.replace(tzinfo=None) + timedelta(hours=1),
            timezones=st.just(UTC),
        ),
    ),
    unique_by=lambda m: m.operator_id,
    max_size=12,
)


@given(
    members=member_lists,
    strategy=st.sampled_from(list(Strategy)),
    waited=st.floats(0, 300),
    sticky=st.none()
    | st.builds(Sticky, operator_id=st.integers(1, 30), rule=st.just("recent"), available=st.booleans()),
    tried=st.frozensets(st.integers(1, 30), max_size=5),
    last=st.none() | st.integers(1, 30),
)
def test_any_decision_names_only_available_members_and_is_repeatable(members, strategy, waited, sticky, tried, last):
    policy = QueuePolicy(strategy, skill="sales", min_level=0)
    call = WaitingCall(waited_seconds=waited, sticky=sticky, tried=tried)
    decision = decide(policy, members, call, last_offered=last)
    available = {m.operator_id for m in members if m.available}
    if sticky is not None and sticky.available and sticky.operator_id not in tried:
        available.add(sticky.operator_id)
    if decision is None:
        assert not available
    else:
        assert set(decision.operator_ids) <= available and len(set(decision.operator_ids)) == len(decision.operator_ids)
        assert decide(policy, list(reversed(members)), call, last_offered=last) == decision
