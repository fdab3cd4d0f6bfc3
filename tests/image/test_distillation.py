"""DefensiveDistillation on digits: soft labels at T, and the gradient masking it causes."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from advval.attacks import PGD  # noqa: E402
from advval.image import DefensiveDistillation  # noqa: E402

from .conftest import small_cnn  # noqa: E402

EPS = 0.1
T = 100.0
SETTINGS = {"temperature": T, "epochs": 20, "lr": 0.01, "batch_size": 100}


def robust_accuracy(model, X, y, loss):
    X_adv = PGD(model, eps=EPS, steps=20, bounds=(0, 1), loss=loss, random_state=0).generate(
        X, y
    )
    with torch.no_grad():
        return (model(X_adv).argmax(1) == y).float().mean().item()


@pytest.fixture(scope="module")
def distilled(digits):
    X, y = digits[0], digits[1]
    return DefensiveDistillation(random_state=0, **SETTINGS).fit(
        small_cnn(0), small_cnn(1), X, y
    )


def test_student_learns_the_teachers_soft_labels(distilled, digits):
    X_test, y_test = digits[2], digits[3]
    teacher, student = distilled.teacher_.eval(), distilled.student_.eval()
    with torch.no_grad():
        z_teacher, z_student = teacher(X_test), student(X_test)
    assert (z_student.argmax(1) == y_test).float().mean().item() > 0.85
    assert (z_teacher.argmax(1) == y_test).float().mean().item() > 0.85
    # at temperature T the student's distribution is close to the teacher's soft labels
    p_teacher = torch.softmax(z_teacher / T, 1)
    p_student = torch.softmax(z_student / T, 1)
    total_variation = 0.5 * (p_teacher - p_student).abs().sum(1).mean().item()
    assert total_variation < 0.15  # measured: 0.074
    history = distilled.history_
    assert len(history["teacher_loss"]) == len(history["student_loss"]) == 20
    assert history["teacher_loss"][-1] < history["teacher_loss"][0]
    assert history["student_loss"][-1] < history["student_loss"][0]


def test_distillation_masks_gradients_rather_than_adding_robustness(distilled, cnns, digits):
    """Papernot's defense fools the cross-entropy attack, not the margin attack.

    Measured (eps 0.1, 20-step PGD): the normally trained model keeps 0.425 (CE) and
    0.435 (margin); the distilled student 0.78 (CE) but 0.47 (margin). Its logits are
    about 30 times as spread (measured), so its softmax saturates at temperature 1.
    """
    X_test, y_test = digits[2], digits[3]
    student, plain = distilled.student_.eval(), cnns[0]
    plain_ce = robust_accuracy(plain, X_test, y_test, "ce")
    plain_margin = robust_accuracy(plain, X_test, y_test, "margin")
    student_ce = robust_accuracy(student, X_test, y_test, "ce")
    student_margin = robust_accuracy(student, X_test, y_test, "margin")
    assert student_ce > plain_ce + 0.2  # looks robust to a cross-entropy attack...
    assert student_margin < student_ce - 0.2  # ...but the margin loss breaks through
    assert student_margin < plain_margin + 0.1  # about as vulnerable as the plain model
    with torch.no_grad():
        scale = student(X_test).std().item() / plain(X_test).std().item()
    assert scale > 15  # measured: 33


def test_fit_leaves_modes_and_inputs_and_uses_a_given_teacher(distilled, digits):
    X, y = digits[0][:200], digits[1][:200]
    X_before = X.clone()
    teacher = distilled.teacher_
    before = [p.detach().clone() for p in teacher.parameters()]
    teacher.train()
    student = small_cnn(2).eval()
    out = DefensiveDistillation(temperature=T, epochs=2, train_teacher=False,
                                random_state=0).fit(teacher, student, X, y)
    assert out.student_ is student and out.teacher_ is teacher
    assert all(torch.equal(a, b) for a, b in zip(before, teacher.parameters(), strict=True))
    assert teacher.training and not student.training
    assert torch.equal(X, X_before)
    assert out.history_["teacher_loss"] == [] and len(out.history_["student_loss"]) == 2


def test_deterministic_under_a_seed_and_loader_input(digits):
    X, y = digits[0][:300], digits[1][:300]

    def student(data, target, seed=0):
        fitted = DefensiveDistillation(temperature=T, epochs=2, batch_size=64,
                                       random_state=seed).fit(small_cnn(0), small_cnn(1),
                                                              data, target)
        return torch.cat([p.detach().flatten() for p in fitted.student_.parameters()])

    assert torch.equal(student(X, y), student(X, y))
    assert not torch.equal(student(X, y), student(X, y, seed=1))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=64)
    assert torch.isfinite(student(loader, None)).all()


def test_bf16_autocast_on_cpu(digits):
    X, y = digits[0][:200], digits[1][:200]
    fitted = DefensiveDistillation(temperature=T, epochs=3, lr=0.01, amp="bf16",
                                   random_state=0).fit(small_cnn(0), small_cnn(1), X, y)
    losses = fitted.history_["student_loss"]
    assert all(p.dtype == torch.float32 for p in fitted.student_.parameters())
    assert losses[-1] < losses[0]


def test_verbose_progress_bar_on_stderr(digits, capsys):
    X, y = digits[0][:100], digits[1][:100]
    DefensiveDistillation(epochs=1, verbose=True).fit(small_cnn(0), small_cnn(1), X, y)
    err = capsys.readouterr().err
    assert "DefensiveDistillation (teacher)" in err and "DefensiveDistillation (student)" in err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_follows_the_models_device(digits):
    X, y = digits[0][:400], digits[1][:400]
    fitted = DefensiveDistillation(temperature=T, epochs=3, lr=0.01, amp="bf16",
                                   random_state=0).fit(small_cnn(0).cuda(), small_cnn(1).cuda(),
                                                       X, y)
    assert all(p.device.type == "cuda" for p in fitted.student_.parameters())
    assert fitted.history_["student_loss"][-1] < fitted.history_["student_loss"][0]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"temperature": 0}, r"The 'temperature' parameter of DefensiveDistillation must be "
         r"a float in the range \(0, inf\)\. Got 0 instead\."),
        ({"epochs": 0}, r"'epochs' parameter of DefensiveDistillation must be an int"),
        ({"lr": -1.0}, r"'lr' parameter"),
        ({"batch_size": 2.5}, r"'batch_size' parameter"),
        ({"train_teacher": "no"}, r"'train_teacher' parameter .* must be a bool"),
        ({"verbose": None}, r"'verbose' parameter"),
        ({"amp": "int8"}, r"'amp' parameter of DefensiveDistillation must be one of"),
    ],
)
def test_bad_parameters(digits, params, match):
    X, y = digits[0][:10], digits[1][:10]
    with pytest.raises(ValueError, match=match):
        DefensiveDistillation(**params).fit(small_cnn(0), small_cnn(1), X, y)


def test_bad_fit_arguments(digits):
    X, y = digits[0][:10], digits[1][:10]
    distill = DefensiveDistillation(epochs=1)
    teacher = small_cnn(0)
    with pytest.raises(ValueError, match=r"'student' parameter .* different module"):
        distill.fit(teacher, teacher, X, y)
    with pytest.raises(TypeError, match=r"'teacher' parameter .* torch.nn.Module"):
        distill.fit(None, small_cnn(1), X, y)
    with pytest.raises(TypeError, match=r"'y' parameter .* tensor of class indices"):
        distill.fit(small_cnn(0), small_cnn(1), X)
    with pytest.raises(TypeError, match=r"'X' parameter .* Got ndarray instead"):
        distill.fit(small_cnn(0), small_cnn(1), X.numpy(), y)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=5)
    with pytest.raises(ValueError, match=r"'y' parameter .* must be None when X is a Data"):
        distill.fit(small_cnn(0), small_cnn(1), loader, y)
    three = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3))
    with pytest.raises(ValueError, match=r"teacher returns logits of shape \(10, 10\) but the "
                       r"student \(10, 3\)"):
        distill.fit(small_cnn(0), three, X, y)
