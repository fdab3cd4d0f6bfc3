"""``advval image evaluate`` reports attack, eps and images done on stderr (not with --quiet)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from click.testing import CliRunner

from advval.cli import ExitCode, cli

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A fixed random CNN (TorchScript) and 12 images labelled with its own predictions."""
    folder = tmp_path_factory.mktemp("image_progress")
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
            torch.nn.Linear(256, 10),
        ).eval()
    x = torch.rand(12, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        y = net(x).argmax(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit's deprecation notices
        torch.jit.trace(net, x[:2]).save(str(folder / "net.pt"))
    np.savez(folder / "data.npz", x=x.numpy(), y=y.numpy())
    return folder


def test_image_evaluate_reports_attack_eps_and_images(files, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["image", "evaluate", str(files / "net.pt"), str(files / "data.npz"),
            "--attack", "pgd", "--steps", "3", "--eps", "0.02", "--eps", "0.1",
            "--examples", "0", "--format", "json"]
    loud = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert loud.exit_code == ExitCode.OK, loud.output
    lines = loud.stderr.splitlines()
    for eps in ("0.1", "0.02"):
        assert f"advval: PGD at eps {eps} on 12 rows" in lines
        done = [line for line in lines if f"PGD at eps {eps} on 12 rows (done in " in line]
        assert len(done) == 1 and done[0].endswith(" 12/12")
    quiet = CliRunner().invoke(cli, [*args, "--quiet"], catch_exceptions=False)
    assert quiet.exit_code == ExitCode.OK
    assert "PGD at eps" not in quiet.stderr
    assert quiet.stdout == loud.stdout
