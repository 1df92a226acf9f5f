import pytest

from sftlab.errors import UserError
from sftlab.registry import Registry


def test_registry_names_classes_refuses_duplicates_and_lists_known_names():
    reg = Registry("widget")

    @reg.register("a")
    class A:
        pass

    assert reg.get_class("a") is A and A.name == "a"
    with pytest.raises(ValueError, match="widget 'a' registered twice"):
        reg.register("a")(type("B", (), {}))
    with pytest.raises(UserError, match="unknown widget 'z'; known: a"):
        reg.get_class("z")
