"""Compiled random-graph generators and the CSR builder, over plain arrays.

Each generator implements the same model as its networkx namesake (same growth rule, same
distribution of graphs) but runs compiled, so a million-person network takes a second rather
than minutes. Random numbers come from the numpy ``Generator`` passed in (numba draws from its
PCG64 stream), so a graph is a pure function of the seed the caller gave that generator.

Generators return the ties ``(src, dst)`` as ``int32`` arrays, each undirected tie once, with no
self-loops and no repeated ties (:func:`public_followers` returns one-way arcs instead: ``dst``
follows ``src``). The two platform generators (:func:`public_followers`, :func:`closed_circles`)
have no networkx namesake; their docstrings give the model and the structure it produces.
:func:`csr_from_arcs` turns arcs into compressed sparse rows with a two-pass counting sort (rows
come out sorted without any comparison sort).

The Python layer that names, validates and seeds these lives in :mod:`simulation.network`.
"""

from __future__ import annotations

import math

import numpy as np

from simulation._jit import jit

__all__ = [
    "barabasi_albert",
    "closed_circles",
    "csr_from_arcs",
    "erdos_renyi",
    "powerlaw_cluster",
    "public_followers",
    "stochastic_block",
    "watts_strogatz",
]


@jit
def _pick(rng, count: int) -> int:
    """A uniform index in ``[0, count)`` (``count`` < 2**53, so the bias is below 1e-9)."""
    return min(int(rng.random() * count), count - 1)


@jit
def _grow(array: np.ndarray, needed: int) -> np.ndarray:
    """``array`` itself if it holds ``needed`` items, else a copy at least twice as long."""
    if needed <= len(array):
        return array
    bigger = np.empty(max(needed, 2 * len(array)), array.dtype)
    bigger[: len(array)] = array
    return bigger


@jit
def barabasi_albert(n: int, m: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Barabasi-Albert preferential attachment: each newcomer ties to ``m`` distinct people.

    Growth starts from a star on ``m + 1`` people (person 0 is the hub), as networkx's
    ``barabasi_albert_graph`` does. Person ``s`` (from ``m + 1`` on) draws ``m`` distinct
    targets, each with probability proportional to its current degree: uniform draws from the
    list in which every person appears once per tie end, repeats rejected.

    Args:
        n: People (``n > m``).
        m: Ties each newcomer makes (``m >= 1``).
        rng: A ``numpy.random.Generator``.

    Returns:
        ``(src, dst)`` int32 arrays of the ``m * (n - m)`` ties.

    References:
        Barabasi, A.-L. and Albert, R. (1999). Emergence of scaling in random networks.
        Science 286, 509-512.
    """
    ties = m * (n - m)
    src = np.empty(ties, np.int32)
    dst = np.empty(ties, np.int32)
    repeated = np.empty(2 * ties, np.int32)  # each person once per tie end
    chosen_by = np.full(n, -1, np.int32)  # the newcomer who last chose this person
    for i in range(m):
        src[i] = 0
        dst[i] = i + 1
        repeated[2 * i] = 0
        repeated[2 * i + 1] = i + 1
    edge = m
    length = 2 * m
    for source in range(m + 1, n):
        found = 0
        while found < m:
            target = repeated[_pick(rng, length)]
            if chosen_by[target] == source:
                continue
            chosen_by[target] = source
            src[edge] = source
            dst[edge] = target
            edge += 1
            found += 1
        # the targets and the newcomer each gain m tie ends
        for e in range(edge - m, edge):
            repeated[length] = dst[e]
            repeated[length + 1] = source
            length += 2
    return src, dst


@jit
def _gnp_pairs(
    rows: int, cols: int, triangle: bool, p: float, rng, src, dst, count: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Append each pair ``(v, w)`` with probability ``p``, jumping geometrically between picks.

    The pairs are ``0 <= w < v < rows`` when ``triangle`` (one group), else every ``v < rows``,
    ``w < cols`` (two groups). Appends local indices to ``src``/``dst`` from ``count`` on,
    growing them as needed; returns them and the new count.
    """
    if p <= 0.0 or rows == 0 or cols == 0:
        return src, dst, count
    total = rows * (rows - 1) / 2.0 if triangle else float(rows) * cols
    if p >= 1.0:
        src = _grow(src, count + int(total))
        dst = _grow(dst, count + int(total))
        for v in range(rows):
            for w in range(v if triangle else cols):
                src[count] = v
                dst[count] = w
                count += 1
        return src, dst, count
    log_q = math.log1p(-p)
    v = 1 if triangle else 0
    w = -1
    while v < rows:
        jump = math.log(1.0 - rng.random()) / log_q
        if jump >= total:  # beyond the last pair (and safe to convert below)
            break
        w += 1 + int(jump)
        width = v if triangle else cols
        while w >= width and v < rows:
            w -= width
            v += 1
            width = v if triangle else cols
        if v < rows:
            if count == len(src):
                src = _grow(src, count + 1)
                dst = _grow(dst, count + 1)
            src[count] = v
            dst[count] = w
            count += 1
    return src, dst, count


def _capacity(expected: float) -> int:
    """Room for a binomial count with this mean: six standard deviations above it."""
    return int(expected + 6.0 * math.sqrt(expected) + 16)


def erdos_renyi(n: int, p: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """G(n, p): every pair of people is tied independently with probability ``p``.

    Pairs are visited in order and the gap to the next tie is drawn from the geometric
    distribution, so the work is proportional to the ties, not to the n^2 pairs.

    Args:
        n: People.
        p: Probability of each tie.
        rng: A ``numpy.random.Generator``.

    Returns:
        ``(src, dst)`` int32 arrays of the ties (``src > dst``).

    References:
        Batagelj, V. and Brandes, U. (2005). Efficient generation of large random networks.
        Physical Review E 71, 036113.
    """
    capacity = _capacity(p * n * (n - 1) / 2) if p < 1 else n * (n - 1) // 2
    src, dst, count = _gnp_pairs(
        n, n, True, p, rng, np.empty(capacity, np.int32), np.empty(capacity, np.int32), 0
    )
    return src[:count].copy(), dst[:count].copy()


def stochastic_block(sizes: np.ndarray, probs: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Stochastic block model: people in blocks; a pair is tied with its blocks' probability.

    Blocks hold consecutive people (block 0 first). Each block and each pair of blocks is a
    G(n, p) or a bipartite random graph, generated by geometric jumps as in
    :func:`erdos_renyi`.

    Args:
        sizes: People in each block.
        probs: ``probs[i, j]``, probability of a tie between a person of block i and one of
            block j (symmetric).
        rng: A ``numpy.random.Generator``.

    Returns:
        ``(src, dst)`` int32 arrays of the ties.

    References:
        Holland, P. W., Laskey, K. B. and Leinhardt, S. (1983). Stochastic blockmodels: first
        steps. Social Networks 5, 109-137.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    k = len(sizes)
    expected = sum(
        probs[i, j] * (sizes[i] * (sizes[i] - 1) / 2 if i == j else sizes[i] * sizes[j])
        for i in range(k)
        for j in range(i, k)
    )
    capacity = _capacity(expected)
    src = np.empty(capacity, np.int32)
    dst = np.empty(capacity, np.int32)
    count = 0
    for i in range(k):
        for j in range(i, k):
            before = count
            src, dst, count = _gnp_pairs(
                int(sizes[i]), int(sizes[j]), i == j, float(probs[i, j]), rng, src, dst, count
            )
            src[before:count] += starts[i]
            dst[before:count] += starts[j]
    return src[:count].copy(), dst[:count].copy()


@jit
def _ring_distance(u: int, w: int, n: int) -> int:
    """Steps from ``u`` forward around the ring of ``n`` to ``w``."""
    d = w - u
    return d + n if d < 0 else d


@jit
def watts_strogatz(n: int, k: int, rewire: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Watts-Strogatz small world: a ring lattice whose ties are rewired at random.

    As networkx's ``watts_strogatz_graph``: everyone is tied to the ``k // 2`` nearest on each
    side; then, for each distance ``j = 1 .. k // 2`` and each person ``u`` in order, the tie
    ``u -- u + j`` is, with probability ``rewire``, moved to ``u -- w`` for a uniformly drawn
    ``w`` that is neither ``u`` nor already tied to ``u`` (skipped if ``u`` is tied to everyone).

    Args:
        n: People (``n > k``).
        k: Lattice ties per person (odd ``k`` acts as ``k - 1``).
        rewire: Probability that a lattice tie is rewired.
        rng: A ``numpy.random.Generator``.

    Returns:
        ``(src, dst)`` int32 arrays of the ``n * (k // 2)`` ties.

    References:
        Watts, D. J. and Strogatz, S. H. (1998). Collective dynamics of 'small-world' networks.
        Nature 393, 440-442.
    """
    half = k // 2
    kept = np.ones((n, half + 1), np.bool_)  # kept[u, j]: lattice tie u -- u + j still there
    degree = np.full(n, 2 * half, np.int64)
    # ties made by rewiring, as a linked list per person (each tie in both lists)
    head = np.full(n, -1, np.int64)
    next_of = np.empty(64, np.int64)
    other = np.empty(64, np.int32)
    made = 0
    for j in range(1, half + 1):
        for u in range(n):
            if rng.random() >= rewire:
                continue
            while True:
                w = _pick(rng, n)
                tied = w == u
                if not tied:
                    d = _ring_distance(u, w, n)
                    if (d <= half and kept[u, d]) or (n - d <= half and kept[w, n - d]):
                        tied = True
                    else:
                        link = head[u]
                        while link >= 0:
                            if other[link] == w:
                                tied = True
                                break
                            link = next_of[link]
                if not tied:
                    break
                if degree[u] >= n - 1:
                    break
            if tied:
                continue  # u is tied to everyone: this tie stays where it is
            v = (u + j) % n
            kept[u, j] = False
            degree[v] -= 1
            degree[w] += 1
            if made + 2 > len(other):
                next_of = _grow(next_of, made + 2)
                other = _grow(other, made + 2)
            other[made] = w
            next_of[made] = head[u]
            head[u] = made
            other[made + 1] = u
            next_of[made + 1] = head[w]
            head[w] = made + 1
            made += 2
    ties = n * half
    src = np.empty(ties, np.int32)
    dst = np.empty(ties, np.int32)
    edge = 0
    for u in range(n):
        for j in range(1, half + 1):
            if kept[u, j]:
                src[edge] = u
                dst[edge] = (u + j) % n
                edge += 1
    for link in range(0, made, 2):
        src[edge] = other[link + 1]
        dst[edge] = other[link]
        edge += 1
    return src, dst


@jit
def powerlaw_cluster(n: int, m: int, triangle_p: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Holme-Kim growth: preferential attachment plus triangle closing (tunable clustering).

    As networkx's ``powerlaw_cluster_graph``: growth starts from ``m`` people without ties.
    Newcomer ``s`` draws ``m`` distinct candidates by preferential attachment and ties to the
    first; each of its other ``m - 1`` ties, with probability ``triangle_p``, goes to a random
    contact of the last candidate it tied to (closing a triangle) if one is not yet tied to
    ``s``, and otherwise to the next candidate. A candidate already reached through a triangle
    adds no second tie (so a few people end with fewer than ``m`` ties), yet counts as a tie end
    in the attachment list, as in networkx.

    The candidates are taken in the order they are drawn, so each attachment step is a fresh
    preferential draw as in the paper. networkx keeps them in a ``set`` and takes them in hash
    order, which favours the oldest people (person 0 first whenever it is a candidate): its
    graphs have larger hubs and lower transitivity. With ``triangle_p = 0`` the two agree.

    Args:
        n: People (``n > m``).
        m: Ties each newcomer makes (``m >= 1``).
        triangle_p: Probability of a triangle-closing step.
        rng: A ``numpy.random.Generator``.

    Returns:
        ``(src, dst)`` int32 arrays of the ties (at most ``m * (n - m)``).

    References:
        Holme, P. and Kim, B. J. (2002). Growing scale-free networks with tunable clustering.
        Physical Review E 65, 026107.
    """
    most = m * (n - m)
    src = np.empty(most, np.int32)
    dst = np.empty(most, np.int32)
    # Contacts of person v so far: contacts[start:start + degree] with room for `room`, where
    # (start, degree, room) = lists[v]; a full list moves to the end of the pool with twice
    # the room. A person who ends with d contacts has used at most m + 4d of the pool (pages
    # never used cost no memory). Per-person fields sit together: one cache miss per person.
    lists = np.zeros((n, 3), np.int64)
    contacts = np.empty(m * n + 8 * most + 8, np.int32)
    used = 0
    # marks[v] = (newcomer who last drew v as a candidate, newcomer who last tied to v)
    marks = np.full((n, 2), -1, np.int32)
    repeated = np.empty(m + 2 * most, np.int32)
    for i in range(m):
        repeated[i] = i
    length = m
    candidates = np.empty(m, np.int32)
    edge = 0
    for source in range(m, n):
        lists[source, 0] = used
        lists[source, 2] = m
        used += m
        marks[source, 1] = source  # never a triangle partner of itself
        found = 0
        while found < m:
            v = repeated[_pick(rng, length)]
            if marks[v, 0] != source:
                marks[v, 0] = source
                candidates[found] = v
                found += 1
        next_candidate = 0
        target = -1
        for count in range(m):
            if count > 0 and rng.random() < triangle_p:
                w = _open_contact(target, source, marks, contacts, lists, m, rng)
                if w >= 0:
                    src[edge] = source
                    dst[edge] = w
                    edge += 1
                    used = _add_contact(source, w, contacts, lists, used)
                    used = _add_contact(w, source, contacts, lists, used)
                    marks[w, 1] = source
                    repeated[length] = w
                    length += 1
                    continue
            target = candidates[next_candidate]
            next_candidate += 1
            if marks[target, 1] != source:
                src[edge] = source
                dst[edge] = target
                edge += 1
                used = _add_contact(source, target, contacts, lists, used)
                used = _add_contact(target, source, contacts, lists, used)
                marks[target, 1] = source
            repeated[length] = target
            length += 1
        for _ in range(m):
            repeated[length] = source
            length += 1
    return src[:edge].copy(), dst[:edge].copy()


@jit
def _open_contact(target, source, marks, contacts, lists, m, rng) -> int:
    """A uniformly drawn contact of ``target`` not yet tied to ``source``, or -1 if none.

    At most ``m`` of the contacts (``source`` and those it tied to) are ruled out, so a few
    uniform draws almost always find one (each accepted draw is uniform over the open
    contacts); only if they all miss are the open contacts counted and one drawn among them.
    """
    first = lists[target, 0]
    count = lists[target, 1]
    for _ in range(4 * m + 4):
        w = contacts[first + _pick(rng, count)]
        if marks[w, 1] != source:
            return w
    open_count = 0
    for i in range(first, first + count):
        if marks[contacts[i], 1] != source:
            open_count += 1
    if open_count == 0:
        return -1
    chosen = _pick(rng, open_count)
    for i in range(first, first + count):
        if marks[contacts[i], 1] != source:
            if chosen == 0:
                return contacts[i]
            chosen -= 1
    return -1


@jit
def _add_contact(v, w, contacts, lists, used) -> int:
    """Append ``w`` to ``v``'s contacts, moving the list if full; returns the pool's new end."""
    start = lists[v, 0]
    degree = lists[v, 1]
    if degree == lists[v, 2]:
        room = max(2 * degree, 4)
        contacts[used : used + degree] = contacts[start : start + degree]
        start = used
        lists[v, 0] = start
        lists[v, 2] = room
        used += room
    contacts[start + degree] = w
    lists[v, 1] = degree + 1
    return used


@jit
def public_followers(
    n: int, follows: int, attachment: float, reciprocity: float, rng
) -> tuple[np.ndarray, np.ndarray]:
    """A growing public follower graph: preferential attachment on followers, with follow-backs.

    People join one at a time. Newcomer ``s`` follows ``min(follows, s)`` distinct people who
    joined before; each of those is chosen, with probability ``attachment``, in proportion to the
    followers they have (a uniform draw from the list in which every person appears once per
    follower), else uniformly among everyone who joined before. Each person followed follows the
    newcomer back with probability ``reciprocity``. This is Price's model (cumulative advantage,
    as Dorogovtsev, Mendes & Samukhin's mixture of preferential and uniform choice) with
    reciprocation added.

    Structure: the share of connected pairs that follow each other is ``reciprocity``; a person's
    follower count grows at the rate ``A k / t`` with ``A = attachment / (1 + reciprocity)``, so
    followers have a power-law tail ``P(k) ~ k^-(1 + 1/A)`` (exponent 2.33 for attachment 0.9,
    reciprocity 0.2), while the number of people one follows is ``follows`` plus follow-backs
    (a tail ``reciprocity`` times lighter).

    Args:
        n: People.
        follows: People each newcomer follows (``>= 1``, ``< n``).
        attachment: Probability that a follow is chosen by follower count (else uniformly).
        reciprocity: Probability that a followed person follows back.
        rng: A ``numpy.random.Generator``.

    Returns:
        ``(src, dst)`` int32 arcs: ``dst`` follows ``src`` (``src``'s shares reach ``dst``).

    References:
        Price, D. de S. (1976). A general theory of bibliometric and other cumulative advantage
        processes. Journal of the American Society for Information Science 27, 292-306.
        Dorogovtsev, S. N., Mendes, J. F. F. and Samukhin, A. N. (2000). Structure of growing
        networks with preferential linking. Physical Review Letters 85, 4633-4636.
    """
    expected = follows * n * (1.0 + reciprocity)
    capacity = int(expected + 6.0 * math.sqrt(expected) + 16)
    src = np.empty(capacity, np.int32)
    dst = np.empty(capacity, np.int32)
    followed = np.empty(capacity, np.int32)  # each person once per follower
    length = 0
    chosen_by = np.full(n, -1, np.int32)  # the newcomer who last chose this person
    arcs = 0
    for source in range(1, n):
        wanted = min(follows, source)
        if arcs + 2 * wanted > len(src):
            src = _grow(src, arcs + 2 * wanted)
            dst = _grow(dst, arcs + 2 * wanted)
            followed = _grow(followed, arcs + 2 * wanted)
        chosen_by[source] = source  # never oneself (the newcomer may gain followers below)
        found = 0
        tries = 0
        while found < wanted:
            if wanted == source:  # everyone who joined before
                target = found
            # (after 64 x wanted draws that repeat a choice, e.g. when a few hubs hold nearly
            # every follower, the rest are drawn uniformly so that the loop ends)
            elif length > 0 and tries < 64 * wanted and rng.random() < attachment:
                target = followed[_pick(rng, length)]
            else:
                target = _pick(rng, source)
            tries += 1
            if chosen_by[target] == source:
                continue
            chosen_by[target] = source
            found += 1
            src[arcs] = target  # the newcomer follows target
            dst[arcs] = source
            arcs += 1
            followed[length] = target
            length += 1
            if rng.random() < reciprocity:
                src[arcs] = source  # target follows back
                dst[arcs] = target
                arcs += 1
                followed[length] = source
                length += 1
    return src[:arcs].copy(), dst[:arcs].copy()


@jit
def _circle_ties(
    members: np.ndarray, bounds: np.ndarray, density: float, rng
) -> tuple[np.ndarray, np.ndarray]:
    """Ties within circles: each pair of members tied with probability ``density``.

    Circle ``c`` is ``members[bounds[c]:bounds[c + 1]]``; a person listed twice in a circle is not
    tied to themself, and a tie comes out twice when two people share two circles.
    """
    expected = 0.0
    for c in range(len(bounds) - 1):
        size = bounds[c + 1] - bounds[c]
        expected += density * size * (size - 1) / 2.0
    capacity = int(expected + 6.0 * math.sqrt(expected) + 16)
    src = np.empty(capacity, np.int32)
    dst = np.empty(capacity, np.int32)
    count = 0
    for c in range(len(bounds) - 1):
        for i in range(bounds[c], bounds[c + 1]):
            for j in range(i + 1, bounds[c + 1]):
                if members[i] == members[j] or rng.random() >= density:
                    continue
                if count == len(src):
                    src = _grow(src, count + 1)
                    dst = _grow(dst, count + 1)
                src[count] = members[i]
                dst[count] = members[j]
                count += 1
    return src[:count].copy(), dst[:count].copy()


@jit
def _shuffle(values: np.ndarray, rng) -> None:
    """Fisher-Yates shuffle in place."""
    for i in range(len(values) - 1, 0, -1):
        j = _pick(rng, i + 1)
        values[i], values[j] = values[j], values[i]


def closed_circles(
    n: int, circles: int, circle_size: float, density: float, bridges: float, rng
) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping small circles (family, friends, colleagues) with a few ties across them.

    Everyone belongs to ``circles`` circles: the ``n * circles`` memberships are shuffled and cut
    into circles of ``2 + Poisson(circle_size - 2)`` members (mean ``circle_size``; the last
    circle holds what is left). Two members of a circle are tied with probability ``density``;
    besides, every pair of people is tied with probability ``bridges / (n - 1)`` (acquaintances
    outside one's circles). Ties are mutual and listed once. This is a random intersection
    graph (people x circles) with a sprinkling of Erdos-Renyi ties.

    Structure: a person in circles of sizes ``s_1..s_c`` has about
    ``density * sum(s_i - 1) + bridges`` contacts; two contacts from one circle are tied with
    probability ``density``, so the clustering is about ``density * (s - 2) / (c (s - 1) - 1)``
    for ``c`` circles of size ``s`` (0.24 for the defaults), against ``mean degree / n`` for a
    random graph of the same degree.

    Args:
        n: People.
        circles: Circles each person belongs to (``>= 1``).
        circle_size: Mean number of members of a circle (``>= 2``).
        density: Probability that two members of a circle are tied.
        bridges: Expected ties per person outside their circles.
        rng: A ``numpy.random.Generator``.

    Returns:
        ``(src, dst)`` int32 arrays of the ties (``src < dst``).

    References:
        Newman, M. E. J. and Park, J. (2003). Why social networks are different from other types
        of networks. Physical Review E 68, 036122.
        Deijfen, M. and Kets, W. (2009). Random intersection graphs with tunable degree
        distribution and clustering. Probability in the Engineering and Informational Sciences
        23, 661-674.
    """
    members = np.repeat(np.arange(n, dtype=np.int32), circles)
    _shuffle(members, rng)
    slots = len(members)
    mean = max(circle_size - 2.0, 0.0)
    sizes = 2 + rng.poisson(mean, size=int(slots / circle_size * 1.2) + 16)
    while sizes.sum() < slots:  # far in the tail: draw more
        sizes = np.concatenate([sizes, 2 + rng.poisson(mean, size=len(sizes))])
    bounds = np.minimum(np.concatenate([[0], np.cumsum(sizes)]), slots)
    bounds = bounds[: int(np.searchsorted(bounds, slots)) + 1].astype(np.int64)
    inside_src, inside_dst = _circle_ties(members, bounds, float(density), rng)
    p = bridges / (n - 1) if n > 1 else 0.0
    across_src, across_dst = erdos_renyi(n, min(p, 1.0), rng)
    low = np.concatenate([np.minimum(inside_src, inside_dst), across_dst]).astype(np.int64)
    high = np.concatenate([np.maximum(inside_src, inside_dst), across_src]).astype(np.int64)
    keys = np.sort(low * n + high)  # a sort then a scan: faster than numpy 2's hashed unique
    keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if len(keys) else keys
    return (keys // n).astype(np.int32), (keys % n).astype(np.int32)


@jit
def csr_from_arcs(
    n: int, src: np.ndarray, dst: np.ndarray, both_ways: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compressed sparse rows of the arcs ``src[i] -> dst[i]``, each row sorted.

    With ``both_ways`` every tie also gives the arc ``dst[i] -> src[i]``; arc ``i + len(src)``
    stands for it in ``order``. One counting sort by source puts the arcs in rows; each row is
    then sorted on its own (the generators emit ties in nearly sorted order, so this is close
    to linear time).

    Returns:
        ``(indptr, indices, order)``: ``int64[n + 1]`` row offsets, ``int32`` targets, and the
        ``int64`` arc number of each entry (to carry tie weights along).
    """
    ties = len(src)
    arcs = 2 * ties if both_ways else ties
    indptr = np.zeros(n + 1, np.int64)
    for i in range(ties):
        indptr[src[i] + 1] += 1
        if both_ways:
            indptr[dst[i] + 1] += 1
    for v in range(n):
        indptr[v + 1] += indptr[v]
    fill = indptr[:-1].copy()
    indices = np.empty(arcs, np.int32)
    order = np.empty(arcs, np.int64)
    for i in range(ties):
        u = src[i]
        v = dst[i]
        indices[fill[u]] = v
        order[fill[u]] = i
        fill[u] += 1
        if both_ways:
            indices[fill[v]] = u
            order[fill[v]] = i + ties
            fill[v] += 1
    for u in range(n):
        _sort_row(indices, order, indptr[u], indptr[u + 1])
    return indptr, indices, order


@jit
def _sort_row(indices: np.ndarray, order: np.ndarray, lo: int, hi: int) -> None:
    """Sort ``indices[lo:hi]`` (ties by arc number) and carry ``order`` along."""
    if hi - lo <= 32:
        for i in range(lo + 1, hi):
            v = indices[i]
            a = order[i]
            j = i - 1
            while j >= lo and indices[j] > v:
                indices[j + 1] = indices[j]
                order[j + 1] = order[j]
                j -= 1
            indices[j + 1] = v
            order[j + 1] = a
        return
    for i in range(lo + 1, hi):
        if indices[i] < indices[i - 1]:
            break
    else:
        return
    # Heapsort on (target, arc number): in place, O(d log d) for any row.
    size = hi - lo
    for start in range(size // 2 - 1, -1, -1):
        _sift_down(indices, order, lo, start, size)
    for end in range(size - 1, 0, -1):
        indices[lo], indices[lo + end] = indices[lo + end], indices[lo]
        order[lo], order[lo + end] = order[lo + end], order[lo]
        _sift_down(indices, order, lo, 0, end)


@jit
def _sift_down(indices: np.ndarray, order: np.ndarray, lo: int, root: int, size: int) -> None:
    """Restore the max-heap below ``root`` of the ``size`` entries from ``lo`` on."""
    while True:
        child = 2 * root + 1
        if child >= size:
            return
        a = lo + child
        if child + 1 < size and (
            indices[a + 1] > indices[a]
            or (indices[a + 1] == indices[a] and order[a + 1] > order[a])
        ):
            a += 1
            child += 1
        r = lo + root
        if indices[r] > indices[a] or (indices[r] == indices[a] and order[r] >= order[a]):
            return
        indices[r], indices[a] = indices[a], indices[r]
        order[r], order[a] = order[a], order[r]
        root = child
