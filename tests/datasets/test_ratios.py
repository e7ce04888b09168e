"""Split ratios read the same way everywhere: 7:1:2 or part=weight, with an error that shows both."""
import pytest

from moslab_science.datasets.ratios import RatioError, parse_ratios

SEVEN_ONE_TWO = (("train", 7.0), ("val", 1.0), ("test", 2.0))


@pytest.mark.parametrize("text", ["7:1:2", " 7 : 1 : 2 ", "train=7,val=1,test=2", "train = 7, val = 1, test = 2",
                                  "14:2:4.0"])
def test_both_syntaxes_give_the_same_parts(text):
    ratios = parse_ratios(text)
    total = sum(weight for _, weight in ratios)
    assert [(name, weight / total) for name, weight in ratios] == [(n, w / 10) for n, w in SEVEN_ONE_TWO]


def test_named_ratios_may_name_any_parts_in_their_order():
    assert parse_ratios("train=9,val=1") == (("train", 9.0), ("val", 1.0))
    assert parse_ratios("test=2,train=8") == (("test", 2.0), ("train", 8.0))


@pytest.mark.parametrize(("text", "says"), [
    ("", "Give the split ratios"),
    ("7,1,2", "cannot be read"),
    ("7:1", "2 weights, not 3"),
    ("train:7", "2 weights, not 3"),
    ("7:0:3", "the weight of val is '0', not a positive number"),
    ("7:-1:3", "the weight of val is '-1'"),
    ("7:x:2", "the weight of val is 'x'"),
    ("inf:1:1", "the weight of train is 'inf'"),
    ("train=7,val", "'val' is not part=weight"),
    ("=3,val=1", "'=3' is not part=weight"),
    ("train=7:1", "the weight of train is '7:1'"),
    ("train=7,train=1", "name train more than once"),
])
def test_bad_ratios_say_what_is_wrong_and_both_ways_to_write_them(text, says):
    with pytest.raises(RatioError) as refused:
        parse_ratios(text)
    message = str(refused.value)
    assert says in message
    if "more than once" not in says and "not a positive" not in says and "weight of" not in says:
        assert "7:1:2 (train:val:test)" in message and "train=7,val=1,test=2" in message
