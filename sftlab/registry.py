"""Name -> class registries (benchmarks, task families): register by decorator, refuse duplicates,
answer an unknown name with the known ones."""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

from sftlab.errors import UserError

T = TypeVar("T", bound=type)


class Registry(dict, Generic[T]):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def register(self, name: str) -> Callable[[T], T]:
        def add(cls: T) -> T:
            if name in self:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            cls.name = name
            self[name] = cls
            return cls

        return add

    def get_class(self, name: str) -> T:
        if name not in self:
            raise UserError(f"unknown {self.kind} {name!r}; known: {', '.join(sorted(self))}")
        return self[name]
