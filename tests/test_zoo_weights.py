"""The layer zoo: saving and loading weights, through safe loaders only."""


import io
import os
import pickle
import shlex
import warnings

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from gnnprop.io import load_graph

from .clitools import cli, fails
from .zoo import KARATE, F, config, rounds, session_for

# --- 5. weights ----------------------------------------------------------------


@pytest.mark.parametrize("saved_in", ["float32", "float64"])
@pytest.mark.parametrize("loaded_in", ["float32", "float64"])
@pytest.mark.parametrize("layer", ["nn", "gat"])
def test_saved_weights_reproduce_the_run_that_saved_them(tmp_path, graph_files, layer, saved_in, loaded_in):
    g = graph_files["plain"]
    path = tmp_path / "w.safetensors"
    saver = cli("run", g, "--layer", layer, "--rounds", "3", "--seed", "1", "--save-weights", path,
                "--dtype", saved_in, "-f", "npy", "--last")
    assert saver.code == 0, saver.stderr
    # parameters are drawn in float32 whatever the run's dtype, so they cross dtypes exactly
    same_seed = cli("run", g, "--layer", layer, "--rounds", "3", "--seed", "1", "--dtype", loaded_in, "-f", "npy",
                    "--last")
    loaded = cli("run", g, "--layer", layer, "--rounds", "3", "--seed", "2", "--weights", path,
                 "--dtype", loaded_in, "-f", "npy", "--last")
    other_seed = cli("run", g, "--layer", layer, "--rounds", "3", "--seed", "2", "--dtype", loaded_in, "-f", "npy",
                     "--last")
    want = np.load(_bytes(same_seed))
    assert want.dtype == np.dtype(loaded_in)
    assert np.array_equal(np.load(_bytes(loaded)), want)
    assert not np.array_equal(np.load(_bytes(other_seed)), want)
    if saved_in == loaded_in:
        assert np.array_equal(np.load(_bytes(saver)), want)


def _bytes(out):
    assert out.code == 0, out.stderr
    return io.BytesIO(out.stdout_bytes)


def test_pt_state_dict_of_tensors_loads(tmp_path, graph_files):
    g = load_graph(graph_files["plain"])
    saver = session_for(g, config({"type": "nn", "hidden_dim": 3}, seed=1))
    path = tmp_path / "w.pt"
    torch.save(saver.layer.state_dict(), path)
    loaded = session_for(g, config({"type": "nn", "hidden_dim": 3}, seed=2), weights=path)
    assert all(torch.equal(a, b) for a, b in zip(rounds(loaded), rounds(saver), strict=True))


def _nn_state(graph_file) -> dict[str, torch.Tensor]:
    session = session_for(load_graph(graph_file), config("nn"))
    return {k: v.detach().clone().contiguous() for k, v in session.layer.state_dict().items()}


@pytest.mark.parametrize("change, words", [
    (lambda s: s.pop("updateNN.bias"), ("missing updateNN.bias",)),
    (lambda s: s.update({"extra.weight": torch.zeros(2)}), ("unexpected extra.weight",)),
    (lambda s: s.update({"messageNN.weight": torch.zeros(F, 3)}),
     (f"wrong shape messageNN.weight ({F}, 3) (expected ({F}, {2 * F}))",)),
    (lambda s: (s.pop("messageNN.bias"), s.update({"messageNN.biass": torch.zeros(F)})),
     ("missing messageNN.bias", "unexpected messageNN.biass")),
], ids=["missing", "unexpected", "wrong-shape", "renamed"])
def test_weights_that_do_not_fit_name_the_keys(tmp_path, graph_files, change, words):
    state = _nn_state(graph_files["plain"])
    change(state)
    path = tmp_path / "w.safetensors"
    save_file(state, str(path))
    fails(cli("run", graph_files["plain"], "--layer", "nn", "--rounds", "1", "--weights", path), 1,
          "the weights do not fit the layer", *words)


class _Payload:
    """Unpickling this runs a shell command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {shlex.quote(str(self.marker))}",)


def _torch_save(obj, path):
    torch.save(obj, path)


def _pickle_dump(obj, path):
    with open(path, "wb") as f:
        pickle.dump(obj, f)


@pytest.mark.parametrize("write, unsafe_load", [
    (_torch_save, lambda p: torch.load(p, weights_only=False)),
    (_pickle_dump, lambda p: pickle.loads(p.read_bytes())),
], ids=["torch.save", "pickle"])
def test_pt_file_with_a_pickle_payload_is_refused(tmp_path, graph_files, write, unsafe_load):
    marker = tmp_path / "MARKER"
    path = tmp_path / "evil.pt"
    write({"messageNN.weight": _Payload(marker)}, path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's pickle-protocol warning: see the next test
        out = cli("run", graph_files["plain"], "--layer", "nn", "--rounds", "1", "--weights", path)
    fails(out, 1, str(path), "refused", "only tensors")
    assert not marker.exists()
    unsafe_load(path)  # the control: loaded without the safe loader, the payload does run
    assert marker.exists()


def test_refusing_a_plain_pickle_prints_only_the_error_line(tmp_path, graph_files):
    path = tmp_path / "evil.pt"
    _pickle_dump({"messageNN.weight": _Payload(tmp_path / "MARKER")}, path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = cli("run", graph_files["plain"], "--layer", "nn", "--rounds", "1", "--weights", path)
    fails(out, 1, "refused")
    assert [str(w.message) for w in caught] == []  # outside pytest these go to stderr


def test_pt_file_that_is_not_a_state_dict(tmp_path, graph_files):
    path = tmp_path / "w.pt"
    torch.save(torch.zeros(3), path)
    fails(cli("run", graph_files["plain"], "--layer", "nn", "--rounds", "1", "--weights", path), 1,
          "expected a mapping of parameter names to tensors")


@pytest.mark.parametrize("flag, name, words", [
    ("--weights", "w.bin", ("cannot read weights as .bin",)),
    ("--weights", "weights", ("a file without extension",)),
    ("--save-weights", "w.pt", ("--save-weights writes .safetensors files",)),
    ("--save-weights", "missing/w.safetensors", ("does not exist",)),
], ids=["bin", "no-extension", "save-pt", "save-missing-folder"])
def test_weights_file_extension_and_folder(tmp_path, flag, name, words):
    path = tmp_path / name
    if flag == "--weights":
        path.write_bytes(b"\0")
    fails(cli("run", KARATE, "--layer", "nn", "--rounds", "1", flag, path), 2, *words)


def test_missing_weights_file(tmp_path):
    fails(cli("run", KARATE, "--layer", "nn", "--rounds", "1", "--weights", tmp_path / "no.safetensors"), 1,
          "no such weights file")


def test_saved_weights_are_the_same_bytes_in_every_process(tmp_path):
    """safetensors writes its metadata map in a per-process random order: the file must not vary with it."""
    import subprocess
    import sys

    files = []
    for k in range(4):
        out = tmp_path / f"w{k}.safetensors"
        done = subprocess.run([sys.executable, "-m", "gnnprop", "run", KARATE, "--layer", "nn", "--rounds", "1",
                               "--seed", "3", "-f", "json", "-o", os.devnull, "--save-weights", str(out)],
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        files.append(out.read_bytes())
    assert all(f == files[0] for f in files)
