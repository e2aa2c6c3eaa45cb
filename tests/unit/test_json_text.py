"""The JSON columns' codec (engine/adapters/json_text.py) says what the standard library says."""
import json

from engine.adapters import json_text


def test_what_is_written_reads_back_as_the_standard_library_reads_it():
    value = {"title": "关于加强停车管理的建议", "n": 3, "x": 1.5, "ok": True, "none": None,
             "list": [1, "二", {"深": [True]}], 7: "a number as key", "big": 2 ** 70}
    text = json_text.dumps(value)
    assert json.loads(text) == json.loads(json.dumps(value)) == json_text.loads(text)
    assert json_text.loads(json_text.dumps({"a": 1}).encode()) == {"a": 1}


def test_an_integer_beyond_64_bits_is_written_by_the_standard_library():
    assert json_text.loads(json_text.dumps([2 ** 70])) == [2 ** 70]
