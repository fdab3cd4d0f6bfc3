"""advval's tabular attacks against torchattacks and ART, same models, same points, one run.

Part 1, gradient attacks on an MLP (breast_cancer scaled to [0, 1], because torchattacks
clips to [0, 1]): robust accuracy of FGSM and PGD at equal eps, steps and step size; then
the cost table: each call of FGSM and PGD-20, and each PGD step, against the floor, a
hand-written FGSM / PGD of the same batch (same step, ball and box, one final check),
measured in the same run on one thread (process CPU time, and the wall-time ratio),
with tensor input and float32 NumPy input (searched in float32), and torchattacks and ART
in the same run when they are installed.

Part 2, LightGBM (100 trees), a random forest (100 trees) and, when installed, XGBoost
(100 trees, depth 6) and CatBoost (100 symmetric trees, depth 6) on breast_cancer,
attacked in raw feature space: success rate (at any size, and within eps: L-inf in
training standard deviations), median perturbation over all points (a failure counts as
infinitely far) and model rows queried per point, for advval's TreeAttack, HopSkipJump,
NES, Square and Genetic attacks and ART's HopSkipJump, Boundary and ZOO attacks through
its generic black-box wrapper (ART's LightGBM wrapper rejects
``LGBMClassifier``). Every model call of every method is counted by the same wrapper.

The peers are not dependencies. Their environment::

    python -m venv .bench --system-site-packages      # or a fresh venv with advval[torch]
    .bench/bin/pip install --no-deps torchattacks adversarial-robustness-toolbox
    .bench/bin/python benchmarks/bench_tabular_attacks.py [--quick]

(``--no-deps`` because torchattacks declares torchvision, which would pull a CUDA build of
torch; neither peer needs it for tabular data.) Without the peers, only advval's rows
are printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

warnings.filterwarnings("ignore")


def have(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def best_time(function: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Minimum wall time over ``repeats`` runs (noisy machines) and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


# -- part 1: gradient attacks on an MLP ---------------------------------------------------


def mlp_setup(seed: int = 0) -> tuple[Any, Any, Any]:
    import torch
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MinMaxScaler

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=seed, stratify=y
    )
    scaler = MinMaxScaler().fit(X_train)
    X_train = scaler.transform(X_train)
    X_test = np.clip(scaler.transform(X_test), 0.0, 1.0)
    torch.manual_seed(seed)  # model initialisation of this script only
    model = torch.nn.Sequential(
        torch.nn.Linear(30, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 2),
    )
    xt = torch.tensor(X_train, dtype=torch.float32)
    yt = torch.tensor(y_train)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(300):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        optimizer.step()
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x = torch.tensor(X_test, dtype=torch.float32)
    labels = torch.tensor(y_test)
    with torch.no_grad():
        correct = model(x).argmax(1) == labels
    return model, x[correct], labels[correct]


def robust_accuracy(model: Any, adv: Any, y: Any) -> float:
    import torch

    with torch.no_grad():
        return float((model(adv).argmax(1) == y).float().mean())


def part_gradient(quick: bool) -> None:
    import torch

    from advval.attacks import FGSM, PGD, FeatureSpace

    torch.set_num_threads(1)
    # the peers work in raw [0, 1] units: a space with scale 1 and the same box
    unit = FeatureSpace(bounds=(0.0, 1.0))
    model, x, y = mlp_setup()
    eps = 0.05
    repeats = 3
    print(f"\n## Gradient attacks: MLP on breast_cancer in [0, 1], {len(x)} correctly "
          f"classified test points, L-inf eps={eps}")
    rows = []
    for steps in (10,) if quick else (10, 50):
        alpha = 2.5 * eps / steps
        ours = PGD(model, eps=eps, steps=steps, step_size=2.5 / steps, feature_space=unit,
                   random_state=0)
        t, adv = best_time(lambda a=ours: a.generate(x, y), repeats)
        rows.append((f"advval PGD-{steps}", robust_accuracy(model, adv, y), t))
        if have("torchattacks"):
            import torchattacks

            peer = torchattacks.PGD(model, eps=eps, alpha=alpha, steps=steps, random_start=True)
            t, adv = best_time(lambda p=peer: p(x, y), repeats)
            rows.append((f"torchattacks PGD-{steps}", robust_accuracy(model, adv, y), t))
        if have("art"):
            from art.attacks.evasion import ProjectedGradientDescent
            from art.estimators.classification import PyTorchClassifier

            clf = PyTorchClassifier(model, loss=torch.nn.CrossEntropyLoss(), input_shape=(30,),
                                    nb_classes=2, clip_values=(0.0, 1.0))
            peer = ProjectedGradientDescent(clf, norm=np.inf, eps=eps, eps_step=alpha,
                                            max_iter=steps, num_random_init=1,
                                            batch_size=len(x), verbose=False)
            t, adv = best_time(lambda p=peer: p.generate(x.numpy(), y=y.numpy()), repeats)
            rows.append((f"ART PGD-{steps}", robust_accuracy(model, torch.tensor(adv), y), t))
    ours = FGSM(model, eps=eps, feature_space=unit)
    t, adv = best_time(lambda: ours.generate(x, y), repeats)
    rows.append(("advval FGSM", robust_accuracy(model, adv, y), t))
    if have("torchattacks"):
        import torchattacks

        peer = torchattacks.FGSM(model, eps=eps)
        t, adv = best_time(lambda: peer(x, y), repeats)
        rows.append(("torchattacks FGSM", robust_accuracy(model, adv, y), t))
    print(f"{'method':<22} {'robust acc':>10} {'seconds':>9}")
    for name, acc, seconds in rows:
        print(f"{name:<22} {acc:>10.3f} {seconds:>9.4f}")

    cost_table(model, x, y, eps, quick)


def hand_fgsm(model: Any, x: Any, y: Any, eps: float) -> Callable[[], Any]:
    """FGSM written by hand: one gradient, the step, the box, one check of the result."""
    import torch

    def run() -> Any:
        z = x.clone().requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(model(z), y)
        (grad,) = torch.autograd.grad(loss, z)
        adv = (x + eps * grad.sign()).clamp(0.0, 1.0)
        with torch.no_grad():
            model(adv).argmax(1)
        return adv

    return run


def hand_fgsm_job(model: Any, x: Any, y: Any, eps: float) -> Callable[[], Any]:
    """FGSM written by hand to do the job a robustness number needs: refuse infinite input,
    take the step, project onto the ball and the box, and score the result with one
    forward pass (success, refused if a logit is NaN or infinite) and its L-inf size."""
    import torch

    low, high = (x - eps).clamp_min(0.0), (x + eps).clamp_max(1.0)

    def run() -> Any:
        if bool(torch.isinf(x).any()):
            raise ValueError("X has infinite values")
        z = x.clone().requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(model(z), y)
        (grad,) = torch.autograd.grad(loss, z)
        adv = torch.minimum(torch.maximum(x + eps * grad.sign(), low), high)
        with torch.no_grad():
            logits = model(adv)
        if not bool(torch.isfinite(logits).all()):
            raise ValueError("the model returned NaN or infinite logits")
        success = (logits.argmax(1) != y).numpy()
        norms = (adv - x).abs().amax(1).numpy()
        return adv, success, norms

    return run


def hand_pgd(model: Any, x: Any, y: Any, eps: float, steps: int) -> Callable[[], Any]:
    """PGD written by hand: a random start, ``steps`` signed steps of 2.5 eps / steps, each
    clamped to the ball and the box, and one check of the result (what advval's PGD does,
    less its bookkeeping)."""
    import torch

    generator = torch.Generator().manual_seed(0)

    def run() -> Any:
        low, high = (x - eps).clamp_min(0.0), (x + eps).clamp_max(1.0)
        noise = torch.rand(x.shape, generator=generator, dtype=x.dtype) * 2 - 1
        z = torch.minimum(torch.maximum(x + eps * noise, low), high)
        for _ in range(steps):
            z.requires_grad_(True)
            loss = torch.nn.functional.cross_entropy(model(z), y)
            (grad,) = torch.autograd.grad(loss, z)
            z = torch.minimum(torch.maximum(z.detach() + 2.5 * eps / steps * grad.sign(), low),
                              high)
        with torch.no_grad():
            model(z).argmax(1)
        return z

    return run


def cpu_and_wall(functions: dict[str, Callable[[], Any]],
                 repeats: int) -> dict[str, tuple[float, float]]:
    """Best process CPU time and best wall time of each function over ``repeats`` rounds,
    interleaved so that a burst of load on a shared machine hits them all alike."""
    best = {name: (np.inf, np.inf) for name in functions}
    for function in functions.values():  # warm-up
        function()
    for _ in range(repeats):
        for name, function in functions.items():
            cpu, wall = time.process_time(), time.perf_counter()
            function()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            best[name] = (min(best[name][0], cpu), min(best[name][1], wall))
    return best


def cost_table(model: Any, x: Any, y: Any, eps: float, quick: bool) -> None:
    """Per call (FGSM, PGD-s) and per step ((PGD-2s - PGD-s) / s) against the hand-written
    floor, one thread, same batch, same run: tensor input and float32 NumPy input."""
    import torch

    from advval.attacks import FGSM, PGD, FeatureSpace

    unit = FeatureSpace(bounds=(0.0, 1.0))
    steps, repeats = 20, 5 if quick else 15
    peers = [name for name, module in (("ta", "torchattacks"), ("art", "art")) if have(module)]
    print("\n## Cost against the floor (hand-written FGSM / PGD on the same batch, same run; "
          f"one thread; best of {repeats}, interleaved; CPU = this process's CPU time)")
    print("per step = (time of PGD-40 - time of PGD-20) / 20; ratio = advval / hand-written"
          " (FGSM job: a hand-written FGSM that also checks its input and scores success and"
          " size)"
          "; 'none': called with no feature_space, the space read from the rows each call"
          "; ta = torchattacks (tensor input), art = ART (PyTorchClassifier, float32 NumPy "
          "input; " + (", ".join(peers) or "none") + " installed)")
    header = (f"{'batch':>6} {'what':<9} {'hand ms':>8} {'tensor ms':>9} {'ratio':>6} "
              f"{'numpy32 ms':>10} {'ratio':>6} {'wall ratio':>10}")
    print(header + "".join(f" {p + ' ms':>8} {p + ' ratio':>9}" for p in peers))
    generator = torch.Generator().manual_seed(0)
    for batch in (len(x), 4096) if quick else (len(x), 1024, 8192):
        if batch == len(x):
            xb, yb = x, y
        else:
            idx = torch.randint(0, len(x), (batch,), generator=generator)
            xb = (x[idx] + 0.01 * torch.randn(batch, 30, generator=generator)).clamp(0, 1)
            yb = y[idx]
        xn, yn = xb.numpy(), yb.numpy()
        functions: dict[str, Callable[[], Any]] = {
            "hand fgsm": hand_fgsm(model, xb, yb, eps),
            "hand fgsm job": hand_fgsm_job(model, xb, yb, eps),
            "fgsm": lambda xb=xb, yb=yb: FGSM(model, eps=eps, feature_space=unit).generate(xb, yb),
            "fgsm np": lambda xn=xn, yn=yn: FGSM(model, eps=eps, feature_space=unit).generate(xn,
                                                                                              yn),
        }
        # as most users call them: no feature_space, the space read from the rows each call
        functions["fgsm none"] = lambda xb=xb, yb=yb: FGSM(model, eps=eps).generate(xb, yb)
        functions["fgsm none np"] = lambda xn=xn, yn=yn: FGSM(model, eps=eps).generate(xn, yn)
        functions[f"pgd{steps} none"] = (lambda xb=xb, yb=yb: PGD(
            model, eps=eps, steps=steps, random_state=0).generate(xb, yb))
        functions[f"pgd{steps} none np"] = (lambda xn=xn, yn=yn: PGD(
            model, eps=eps, steps=steps, random_state=0).generate(xn, yn))
        for s in (steps, 2 * steps):
            functions[f"hand pgd{s}"] = hand_pgd(model, xb, yb, eps, s)
            functions[f"pgd{s}"] = (lambda s=s, xb=xb, yb=yb: PGD(
                model, eps=eps, steps=s, feature_space=unit, random_state=0).generate(xb, yb))
            functions[f"pgd{s} np"] = (lambda s=s, xn=xn, yn=yn: PGD(
                model, eps=eps, steps=s, feature_space=unit, random_state=0).generate(xn, yn))
        if "ta" in peers:
            import torchattacks

            functions["ta fgsm"] = (lambda xb=xb, yb=yb: torchattacks.FGSM(model, eps=eps)(xb,
                                                                                            yb))
            for s in (steps, 2 * steps):
                functions[f"ta pgd{s}"] = (lambda s=s, xb=xb, yb=yb: torchattacks.PGD(
                    model, eps=eps, alpha=2.5 * eps / s, steps=s)(xb, yb))
        if "art" in peers:
            functions.update(art_functions(model, xn, yn, eps, (steps, 2 * steps)))
        t = cpu_and_wall(functions, repeats)

        common = {"batch": batch, "steps": steps, "peers": peers}
        cost_row(t, "FGSM", ("hand fgsm", "fgsm", "fgsm np"), "fgsm", **common)
        # against a hand-written FGSM that also checks its input, projects onto the ball
        # and scores success and size: what any robustness number costs (no peers here)
        cost_row(t, "FGSM job", ("hand fgsm job", "fgsm", "fgsm np"), "fgsm",
                 **{**common, "peers": []})
        # no feature_space (eps in standard deviations of the rows; no peer does that)
        cost_row(t, "FGSM none", ("hand fgsm", "fgsm none", "fgsm none np"), "fgsm",
                 **{**common, "peers": []})
        keys = (f"hand pgd{steps}", f"pgd{steps}", f"pgd{steps} np")
        cost_row(t, f"PGD-{steps}", keys, f"pgd{steps}", **common)
        cost_row(t, "PGD none", (f"hand pgd{steps}", f"pgd{steps} none", f"pgd{steps} none np"),
                 f"pgd{steps}", **{**common, "peers": []})
        cost_row(t, "per step", keys, f"pgd{steps}", per_step=True, **common)
        if batch == len(x):
            counts = {name: kernel_count(functions[name]) for name in (
                "hand fgsm", "fgsm", f"hand pgd{steps}", f"pgd{steps}", f"hand pgd{2 * steps}",
                f"pgd{2 * steps}")}
            step = {who: (counts[f"{who}pgd{2 * steps}"] - counts[f"{who}pgd{steps}"]) / steps
                    for who in ("hand ", "")}
            print(f"{'':>6} torch operations dispatched (tensor input): FGSM hand "
                  f"{counts['hand fgsm']}, advval {counts['fgsm']}; PGD step hand "
                  f"{step['hand ']:.0f}, advval {step['']:.0f}", flush=True)


def kernel_count(function: Callable[[], Any]) -> int:
    """Torch operations (ATen calls, views and detaches included) one call dispatches."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        count = 0

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (),
                               kwargs: Any = None) -> Any:
            self.count += 1
            return func(*args, **(kwargs or {}))

    with Count() as counter:
        function()
    return counter.count


def art_functions(model: Any, x: np.ndarray, y: np.ndarray, eps: float,
                  steps: tuple[int, ...]) -> dict[str, Callable[[], Any]]:
    """ART's FGSM and PGD on the same batch (PGD with one random start, as the
    hand-written floor and advval's PGD; the whole batch in one batch)."""
    import torch
    from art.attacks.evasion import FastGradientMethod, ProjectedGradientDescent
    from art.estimators.classification import PyTorchClassifier

    classifier = PyTorchClassifier(model, loss=torch.nn.CrossEntropyLoss(),
                                   input_shape=(x.shape[1],), nb_classes=2,
                                   clip_values=(0.0, 1.0))
    fgsm = FastGradientMethod(classifier, norm=np.inf, eps=eps, batch_size=len(x))
    functions: dict[str, Callable[[], Any]] = {"art fgsm": lambda: fgsm.generate(x, y=y)}
    for s in steps:
        pgd = ProjectedGradientDescent(classifier, norm=np.inf, eps=eps, eps_step=2.5 * eps / s,
                                       max_iter=s, num_random_init=1, batch_size=len(x),
                                       verbose=False)
        functions[f"art pgd{s}"] = lambda pgd=pgd: pgd.generate(x, y=y)
    return functions


def cost_row(t: dict[str, tuple[float, float]], what: str, keys: tuple[str, str, str],
             suffix: str, *, batch: int, steps: int, peers: list[str],
             per_step: bool = False) -> None:
    """One line of the cost table: ``keys`` are the hand-written, tensor and NumPy timings,
    ``f"{peer} {suffix}"`` each peer's (per step: from the ``steps`` and ``2 * steps`` runs)."""
    def seconds(key: str, index: int = 0) -> float:
        if not per_step:
            return t[key][index]
        longer = key.replace(str(steps), str(2 * steps))
        return (t[longer][index] - t[key][index]) / steps

    hand, ours, numpy = keys
    line = (f"{batch:>6} {what:<9} {seconds(hand) * 1e3:>8.3f} {seconds(ours) * 1e3:>9.3f} "
            f"{seconds(ours) / seconds(hand):>6.2f} {seconds(numpy) * 1e3:>10.3f} "
            f"{seconds(numpy) / seconds(hand):>6.2f} "
            f"{seconds(ours, 1) / seconds(hand, 1):>10.2f}")
    for peer in peers:
        key = f"{peer} {suffix}"
        line += f" {seconds(key) * 1e3:>8.3f} {seconds(key) / seconds(hand):>9.2f}"
    print(line, flush=True)


# -- part 2: trees --------------------------------------------------------------------


class Counted:
    """A predict_proba that counts the rows it is asked about."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.rows = 0

    def __call__(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        self.rows += len(X)
        return self.model.predict_proba(X)


class CountedModel:
    """The model with a counting predict_proba, for advval's attacks (classes_ kept)."""

    def __init__(self, model: Any) -> None:
        self.counter = Counted(model)
        self.classes_ = model.classes_

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.counter(X)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.counter(X).argmax(1)]


def tree_models(seed: int = 0) -> tuple[dict[str, Any], np.ndarray, np.ndarray, np.ndarray]:
    import lightgbm as lgb
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import train_test_split

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=seed, stratify=y
    )
    models = {
        "LightGBM-100": lgb.LGBMClassifier(n_estimators=100, verbose=-1, n_jobs=1,
                                           random_state=seed).fit(X_train, y_train),
        "RandomForest-100": RandomForestClassifier(n_estimators=100, n_jobs=1,
                                                   random_state=seed).fit(X_train, y_train),
    }
    if have("xgboost"):
        import xgboost as xgb

        models["XGBoost-100"] = xgb.XGBClassifier(n_estimators=100, n_jobs=1,
                                                  random_state=seed).fit(X_train, y_train)
    if have("catboost"):
        import catboost

        models["CatBoost-100"] = catboost.CatBoostClassifier(
            iterations=100, depth=6, thread_count=1, random_seed=seed, verbose=0,
            allow_writing_files=False,
        ).fit(X_train, y_train)
    return models, X_train, X_test, y_test


def part_trees(quick: bool, n_points: int) -> None:
    from advval.attacks import (
        FeatureSpace,
        GeneticAttack,
        HopSkipJump,
        NESAttack,
        SquareAttack,
        TreeAttack,
    )

    models, X_train, X_test, y_test = tree_models()
    space = FeatureSpace.from_frame(X_train)
    domain = space.bind(X_train)
    eps = 0.5
    print(f"\n## Tree ensembles on breast_cancer: L-inf eps={eps} training std, "
          f"{n_points} correctly classified test points")
    for model_name, model in models.items():
        correct = model.predict(X_test) == y_test
        X, y = X_test[correct][:n_points], y_test[correct][:n_points]
        rows = []

        def ours(name: str, make: Callable[[Any], Any], X: np.ndarray = X,
                 y: np.ndarray = y, model: Any = model, rows: list = rows) -> None:
            white_box = name.startswith("TreeAttack")
            # white-box: the structure is read from the real model and queries_ counts
            # its verification rows; black-box: every call goes through the counter
            counted = None if white_box else CountedModel(model)
            attack = make(model if white_box else counted)
            start = time.perf_counter()
            adv = attack.generate(X, y)
            seconds = time.perf_counter() - start
            queries = float(np.mean(attack.queries_)) if counted is None else (
                counted.counter.rows / len(X)
            )
            rows.append(summary(name, model, adv, X, y, domain, eps, queries, seconds))

        ours("TreeAttack (min)", lambda m: TreeAttack(m, feature_space=space, random_state=0))
        ours("HopSkipJump (min)", lambda m: HopSkipJump(m, feature_space=space, steps=20 if quick
                                                        else 40, random_state=0))
        ours("NES", lambda m: NESAttack(m, eps=eps, feature_space=space, random_state=0))
        ours("Square", lambda m: SquareAttack(m, eps=eps, feature_space=space, random_state=0,
                                              steps=300 if quick else 1000))
        ours("Genetic", lambda m: GeneticAttack(m, eps=eps, feature_space=space, random_state=0))
        if have("art"):
            rows.extend(art_rows(model, X, y, X_train, domain, eps, quick))
        print(f"\n### {model_name}")
        print(f"{'method':<22} {'success':>7} {'success@eps':>11} {'median Linf':>11} "
              f"{'median L2':>9} {'queries/pt':>10} {'seconds':>8}")
        for row in rows:
            print(f"{row[0]:<22} {row[1]:>7.3f} {row[2]:>11.3f} {row[3]:>11.3f} {row[4]:>9.3f} "
                  f"{row[5]:>10.0f} {row[6]:>8.1f}")


def summary(name: str, model: Any, adv: np.ndarray, X: np.ndarray, y: np.ndarray,
            domain: Any, eps: float, queries: float, seconds: float) -> tuple:
    """Success rate (any size and within eps, L-inf), median norms over all points (a
    failure counts as infinitely far, so methods that fool different points compare
    fairly), queries per point, time."""
    adv = np.asarray(adv, dtype=np.float64)
    fooled = model.predict(adv) != y
    linf = np.where(fooled, np.asarray(domain.distance(adv, X, "inf")), np.inf)
    l2 = np.where(fooled, np.asarray(domain.distance(adv, X, "2")), np.inf)
    return (name, float(fooled.mean()), float((linf <= eps + 1e-9).mean()),
            float(np.median(linf)), float(np.median(l2)), queries, seconds)


def art_rows(model: Any, X: np.ndarray, y: np.ndarray, X_train: np.ndarray, domain: Any,
             eps: float, quick: bool) -> list[tuple]:
    from art.attacks.evasion import BoundaryAttack, HopSkipJump, ZooAttack
    from art.estimators.classification import BlackBoxClassifier

    clip = (X_train.min(0), X_train.max(0))
    rows = []
    attacks = {
        "ART HopSkipJump": lambda c: HopSkipJump(c, norm=np.inf, max_iter=20 if quick else 50,
                                                 max_eval=1000 if quick else 10000,
                                                 init_eval=100, verbose=False),
        "ART Boundary": lambda c: BoundaryAttack(c, targeted=False, max_iter=200 if quick
                                                 else 1000, verbose=False),
        "ART ZOO": lambda c: ZooAttack(c, max_iter=20 if quick else 100, nb_parallel=5,
                                       batch_size=1, use_resize=False, use_importance=False,
                                       verbose=False),
    }
    for name, make in attacks.items():
        counted = Counted(model)
        # ART's ZOO cannot clip with per-feature bounds (a broadcasting error in its
        # coordinate update), so it runs unbounded
        classifier = BlackBoxClassifier(counted, input_shape=(X.shape[1],), nb_classes=2,
                                        clip_values=None if "ZOO" in name else clip)
        start = time.perf_counter()
        adv = make(classifier).generate(X.astype(np.float32))
        seconds = time.perf_counter() - start
        rows.append(summary(name, model, adv, X, y, domain, eps, counted.rows / len(X),
                            seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps, fewer points")
    parser.add_argument("--part", choices=("gradient", "trees", "all"), default="all")
    args = parser.parse_args()
    missing = [name for name in ("torchattacks", "art") if not have(name)]
    if missing:
        print(f"(peers not installed: {', '.join(missing)}; see the module docstring)")
    if args.part in ("gradient", "all"):
        part_gradient(args.quick)
    if args.part in ("trees", "all"):
        part_trees(args.quick, n_points=20 if args.quick else 50)


if __name__ == "__main__":
    main()
