"""Every subcommand that takes --params refuses a malformed file the same way: a message, exit 2."""
import pytest

from levcheck.cli import main


@pytest.mark.parametrize("command", [["fuzz", "--examples", "1"], ["prove"], ["tables", "--no-sim"]])
def test_malformed_params_file_is_a_clear_error(command, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("series = [\n")
    assert main([*command, "--params", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"levcheck {command[0]}: error: {bad}: not valid TOML" in err


def test_inverted_band_is_refused_with_the_constructor_error(tmp_path, capsys):
    bad = tmp_path / "inverted.toml"
    bad.write_text("[[series]]\nis_long = true\nmin_lev = 3_500_000_000_000_000_000\nmax_lev = 2_500_000_000_000_000_000\n")
    assert main(["prove", "--params", str(bad)]) == 2
    assert "InvalidBand" in capsys.readouterr().err
