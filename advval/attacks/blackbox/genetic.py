"""GeneticAttack: constraint-aware evolutionary search on valid rows."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._progress import countdown
from ..._validation import check_number
from .._base import Attack, check_positive_int
from .._norms import canonical_norm
from ._common import (
    Best,
    budget,
    categorical_mask,
    check_positive,
    first_check,
    movable,
    per_row,
    random_categories,
    scores,
    units,
)


class GeneticAttack(Attack):
    """Evolve a population of valid rows per sample toward misclassification.

    Every generation evaluates the population (one query per individual, after
    ``domain.finalize``, so every individual is a valid row within the budget), keeps the
    ``n_elite`` fittest, and breeds the rest by tournament selection, uniform crossover
    (a one-hot group is inherited whole) and mutation that respects the
    :class:`~advval.attacks.FeatureSpace`: Gaussian steps in standard units on numeric
    columns, whole steps on integer columns, another allowed category on label-coded
    columns and one-hot groups, and resets to the original value. Fitness is
    ``-max(margin, 0) - distance_penalty * distance`` (log-probability margin; the
    distance in standard units, or the number of changed features under L0).

    With ``eps`` given a sample stops at its first adversarial individual. With
    ``eps=None`` all generations run and the closest adversarial row is returned.

    Parameters
    ----------
    model : classifier with ``predict_proba``, LightGBM Booster, torch module or callable
    eps : float or None, default=0.3
        Budget in standard units (L-inf, L2) or number of changed features (L0); None
        minimizes the perturbation.
    norm : {"inf", "2", "0"}, default="inf"
    targeted : bool, default=False
    feature_space : FeatureSpace or Box, optional
    bounds : (lower, upper), optional
    max_queries : int, optional
        Hard budget of model rows per sample (the final check included).
    random_state : int, RandomState or None
    population_size : int, default=20
    generations : int, default=50
    mutation_rate : float, default=0.2
        Probability that a feature of a child mutates, in (0, 1].
    mutation_scale : float, default=0.5
        Standard deviation of numeric mutations, as a fraction of ``eps`` (L-inf, L2), of
        the closest adversarial distance found so far (``eps=None``; 1 standard unit
        until one is found), or in standard units (L0).
    distance_penalty : float, default=0.1
        Weight of the distance in the fitness (>= 0).
    n_elite : int, default=2
        Fittest individuals copied unchanged into the next generation.

    Attributes
    ----------
    success_, queries_, norms_ : ndarray of shape (n_samples,)

    References
    ----------
    M. Alzantot, Y. Sharma, S. Chakraborty, H. Zhang, C.-J. Hsieh, M. Srivastava.
    "GenAttack: Practical Black-box Attacks with Gradient-Free Optimization", GECCO 2019.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from advval.attacks import FeatureSpace
    >>> X = np.random.RandomState(0).normal(size=(100, 3)); y = (X[:, 0] > 0).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> space = FeatureSpace.from_frame(X)  # eps in standard deviations of X
    >>> near = X[np.abs(X[:, 0]) < 0.2]
    >>> attack = GeneticAttack(model, feature_space=space, eps=1, norm="0", generations=10,
    ...                        random_state=0)
    >>> X_adv = attack.generate(near)
    >>> bool(attack.success_.all()), attack.norms_.max()
    (True, np.float64(1.0))
    """

    norms = ("inf", "2", "0")
    minimum_norm = True

    def __init__(
        self,
        model: Any,
        *,
        eps: float | None = 0.3,
        norm: Any = "inf",
        targeted: bool = False,
        feature_space: Any = None,
        bounds: Any = None,
        max_queries: int | None = None,
        random_state: Any = None,
        population_size: int = 20,
        generations: int = 50,
        mutation_rate: float = 0.2,
        mutation_scale: float = 0.5,
        distance_penalty: float = 0.1,
        n_elite: int = 2,
    ) -> None:
        self.model = model
        self.eps = eps
        self.norm = norm
        self.targeted = targeted
        self.feature_space = feature_space
        self.bounds = bounds
        self.max_queries = max_queries
        self.random_state = random_state
        self.population_size = population_size
        self.generations = generations
        self.mutation_rate = mutation_rate
        self.mutation_scale = mutation_scale
        self.distance_penalty = distance_penalty
        self.n_elite = n_elite

    def _check_params(self) -> str:
        norm = super()._check_params()
        name = type(self).__name__
        check_positive_int(self.population_size, name="population_size", owner=name, low=2)
        check_positive_int(self.generations, name="generations", owner=name)
        check_positive(self.mutation_rate, name="mutation_rate", owner=name, high=1.0)
        check_positive(self.mutation_scale, name="mutation_scale", owner=name)
        check_number(self.distance_penalty, name="distance_penalty", owner=name, low=0)
        check_number(
            self.n_elite, name="n_elite", owner=name, kind=int, low=0,
            high=self.population_size - 1,
        )
        return norm

    def _generate(
        self, z0: Any, labels: np.ndarray, domain: Any, oracle: Any, rng: np.random.RandomState
    ) -> Any:
        norm = canonical_norm(self.norm, owner=type(self).__name__, allowed=self.norms)
        eps = None if self.eps is None else float(self.eps)
        size = self.population_size
        evolution = _Evolution(self, domain, z0, eps, norm, rng)
        best = Best(z0)
        active = first_check(oracle, z0, labels, self.targeted, best)
        population = np.repeat(z0[:, None], size, axis=1)
        reach = np.ones(len(z0))  # mutation size per sample, in units of mutation_scale
        if eps is not None and norm != "0":
            reach[:] = eps
        population[active] = evolution.mutate(population[active], z0[active], reach[active])
        fittest = z0.copy()
        left = countdown(len(z0))  # progress: a row is done when its evolution stops
        for _ in range(self.generations):
            counts = np.minimum(size, budget(oracle, active))
            active, counts = active[counts >= 1], counts[counts >= 1]
            left(active.size)
            if not active.size:
                break
            owner, member = np.nonzero(np.arange(size) < counts[:, None])
            rows = active[owner]
            candidate = domain.finalize(population[rows, member], z0[rows], eps, norm)
            adversarial, margin = scores(oracle, candidate, rows, labels, self.targeted)
            distance = np.asarray(domain.distance(candidate, z0[rows], norm), dtype=np.float64)
            fitness = np.full((len(active), size), -np.inf)
            fitness[owner, member] = -np.maximum(margin, 0) - self.distance_penalty * distance
            population[rows, member] = candidate
            fittest[active] = population[active, fitness.argmax(1)]
            best.offer(rows, candidate, adversarial, distance)
            if eps is not None:
                going = ~best.found[active]
                active, fitness = active[going], fitness[going]
            if eps is None and norm != "0":  # search at the scale of the best found
                reach[active] = np.where(best.found[active], best.distance[active], 1.0)
            population[active] = evolution.breed(
                population[active], fitness, z0[active], reach[active]
            )
        return np.where(per_row(best.found, z0), best.z, fittest)


class _Evolution:
    """Selection, crossover and constraint-aware mutation of populations (m, size, ...)."""

    def __init__(
        self, attack: GeneticAttack, domain: Any, z0: np.ndarray, eps: float | None,
        norm: str, rng: np.random.RandomState,
    ) -> None:
        self.attack, self.domain, self.eps, self.norm, self.rng = attack, domain, eps, norm, rng
        self.coded = categorical_mask(domain, z0)
        self.plain = movable(domain, z0) & ~self.coded
        self.integer = np.zeros(z0.shape[1:], dtype=bool)
        if hasattr(domain, "integer"):
            self.integer = domain.integer & self.plain
        self.sigma = attack.mutation_scale * units(domain, z0)
        self.groups = list(getattr(domain, "groups", []))

    def mutate(self, population: np.ndarray, z0: np.ndarray, reach: np.ndarray) -> np.ndarray:
        """Mutate each feature with probability ``mutation_rate``; a quarter of the
        mutations reset the feature to its original value."""
        shape = population.shape
        flat = population.reshape((-1,) + shape[2:])
        origin = np.repeat(z0, shape[1], axis=0)
        pick = (self.rng.random_sample(flat.shape) < self.attack.mutation_rate) & (
            self.plain | self.coded
        )
        reset = pick & (self.rng.random_sample(flat.shape) < 0.25)
        size = per_row(np.repeat(reach, shape[1]), flat)
        step = self.rng.standard_normal(flat.shape) * self.sigma * size
        whole = np.sign(step) * np.maximum(1.0, np.round(np.abs(step)))
        step = np.where(self.integer, whole, step)
        out = np.where(pick & ~reset & self.plain, flat + step, flat)
        out = random_categories(self.domain, out, pick & ~reset & self.coded, self.rng)
        out = np.where(reset, origin, out)
        return self.domain.project(out, origin, self.eps, self.norm).reshape(shape)

    def breed(
        self, population: np.ndarray, fitness: np.ndarray, z0: np.ndarray, reach: np.ndarray
    ) -> np.ndarray:
        """Elites, then children of tournament-selected parents (crossover + mutation)."""
        m, size = fitness.shape
        elite = self.attack.n_elite
        order = np.argsort(-fitness, axis=1, kind="stable")[:, :elite]
        keep = population[np.arange(m)[:, None], order]
        first = population[np.arange(m)[:, None], self._tournament(fitness, size - elite)]
        second = population[np.arange(m)[:, None], self._tournament(fitness, size - elite)]
        coin = self.rng.random_sample(first.shape) < 0.5
        for group in self.groups:
            coin[:, :, group] = coin[:, :, group[:1]]
        children = self.mutate(np.where(coin, first, second), z0, reach)
        return np.concatenate([keep, children], axis=1)

    def _tournament(self, fitness: np.ndarray, count: int) -> np.ndarray:
        """Winners of ``count`` binary tournaments per sample (indices into the population)."""
        m, size = fitness.shape
        a, b = self.rng.randint(size, size=(2, m, count))
        rows = np.arange(m)[:, None]
        return np.where(fitness[rows, a] >= fitness[rows, b], a, b)
