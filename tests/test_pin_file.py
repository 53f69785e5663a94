"""ci.pin_file: the pins unchanged, only an index that cannot be reached left out."""

from ci import pin_file

PINS = ("# header\n--extra-index-url https://download.example.invalid/whl/cpu\n\n"
        "numpy==2.0.0\ntorch==2.13.0+cpu ; sys_platform == 'linux'\n")


def test_a_reachable_index_keeps_the_pin_file_as_it_is(tmp_path):
    pin = tmp_path / "requirements.txt"
    pin.write_text(PINS)
    out = tmp_path / "build" / "reachable.txt"
    assert pin_file.pin_file(pin, out, check=lambda host: True) == pin
    assert not out.exists()


def test_an_unresolvable_index_is_left_out_and_nothing_else(tmp_path, capsys):
    pin = tmp_path / "requirements.txt"
    pin.write_text(PINS)
    out = tmp_path / "build" / "reachable.txt"
    seen = []
    path = pin_file.pin_file(pin, out, check=lambda host: seen.append(host) or False)
    assert path == out and seen == ["download.example.invalid"]
    assert out.read_text() == PINS.replace(
        "--extra-index-url https://download.example.invalid/whl/cpu\n", "")
    assert "download.example.invalid does not resolve" in capsys.readouterr().err


def test_index_lines_and_real_lookups():
    assert pin_file.index_host("--extra-index-url https://a.example/x\n") == "a.example"
    assert pin_file.index_host("--index-url=https://b.example/simple") == "b.example"
    assert pin_file.index_host("numpy==2.0.0") is None
    assert pin_file.resolves("localhost")
    assert not pin_file.resolves("no-such-host.invalid")  # .invalid never resolves
