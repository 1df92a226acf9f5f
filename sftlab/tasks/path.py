"""Shortest path in a small weighted graph: the unrelated out-of-domain family.

The answer is the node sequence (`a-c-d`); it is correct when every hop is an edge and its cost
equals the optimum found by Dijkstra.
"""

from __future__ import annotations

import heapq
import random

from sftlab.tasks import Problem, TaskFamily, register

NODES = "abcdef"


def _cost(edges: dict[tuple[str, str], int], route: list[str]) -> int | None:
    total = 0
    for u, v in zip(route, route[1:]):
        w = edges.get((u, v)) or edges.get((v, u))
        if w is None:
            return None
        total += w
    return total


@register("path")
class ShortestPath(TaskFamily):
    def __init__(self, nodes: int = 5, edges: int = 6) -> None:
        self.nodes, self.edges = nodes, edges

    def generate(self, rng: random.Random) -> Problem:
        names = NODES[: self.nodes]
        while True:
            pairs = [(u, v) for i, u in enumerate(names) for v in names[i + 1 :]]
            chosen = sorted(rng.sample(pairs, self.edges))
            edges = {p: rng.randint(1, 9) for p in chosen}
            src, dst = rng.sample(names, 2)
            if self._dijkstra(edges, src, dst) is not None and (src, dst) not in edges and (dst, src) not in edges:
                text = " ".join(f"{u}{v}{w}" for (u, v), w in edges.items())
                return Problem(self.name, f"{text}:{src}{dst}", f"path: {text} from {src} to {dst}",
                               {"edges": [[u, v, w] for (u, v), w in edges.items()], "source": src, "target": dst})

    @staticmethod
    def _dijkstra(edges: dict[tuple[str, str], int], src: str, dst: str) -> tuple[int, list[str]] | None:
        heap = [(0, src, [src])]
        seen = set()
        while heap:
            cost, node, route = heapq.heappop(heap)
            if node == dst:
                return cost, route
            if node in seen:
                continue
            seen.add(node)
            for (u, v), w in edges.items():
                for a, b in ((u, v), (v, u)):
                    if a == node and b not in seen:
                        heapq.heappush(heap, (cost + w, b, route + [b]))
        return None

    def _edges(self, problem: Problem) -> dict[tuple[str, str], int]:
        return {(u, v): w for u, v, w in problem.data["edges"]}

    def answer(self, problem: Problem) -> str:
        return "-".join(self._dijkstra(self._edges(problem), problem.data["source"], problem.data["target"])[1])

    def verify(self, problem: Problem, answer: str) -> bool:
        route = answer.strip().split("-")
        if route[0] != problem.data["source"] or route[-1] != problem.data["target"]:
            return False
        edges = self._edges(problem)
        best = self._dijkstra(edges, problem.data["source"], problem.data["target"])[0]
        return _cost(edges, route) == best
