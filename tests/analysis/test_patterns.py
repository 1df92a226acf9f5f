import pandas as pd
import pytest

from sftlab.analysis.patterns import ENGLISH, MINILAB, count_patterns, pattern_rates

TRACE = "3+5=8<22 [8 2]\n 8*2=16<22\n dead end\n5*4=20<22 [20 2]\n 20+2=22=22\ncheck (5*4)+2=22 ok"


def test_minilab_trace_counts():
    c = count_patterns([TRACE, ""], MINILAB)
    assert c.iloc[0].to_dict() == {"backtracking": 1, "verification": 1, "decomposition": 4}
    assert c.iloc[1].sum() == 0


def test_english_markers_are_case_insensitive_and_whole_words():
    text = ("Step 1: expand. Wait, that's wrong. Alternatively, factor. Let me check the answer. "
            "Awaited results; stepwise; double-check it. Finally, 42.")
    c = count_patterns([text], ENGLISH).iloc[0]
    assert c["backtracking"] == 3  # Wait, that's wrong, Alternatively (not "Awaited")
    assert c["verification"] == 2  # let me check, double-check
    assert c["decomposition"] == 2  # Step 1, Finally,


def test_rates_per_response_and_per_1k_tokens():
    df = pd.DataFrame(dict(step=[10, 10, 10], domain="in-domain", response=[TRACE, TRACE, "no markers"],
                           response_tokens=[100, 100, 300]))
    r = pattern_rates(df, MINILAB).set_index("category")
    assert r.loc["decomposition", "per_response"] == pytest.approx(8 / 3)
    assert r.loc["decomposition", "per_1k"] == pytest.approx(1000 * 8 / 500)  # total count / total tokens
    assert r.loc["backtracking", "share"] == pytest.approx(2 / 3)


def test_bad_pattern_names_its_category():
    with pytest.raises(ValueError, match="'mine'"):
        count_patterns(["x"], {"mine": ["(unclosed"]})
