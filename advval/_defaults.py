"""Defaults the estimators and the command line share: constants only, no imports.

The estimators' ``__init__`` signatures and the ``advval drift`` / ``advval deps``
options read them from here, so the two cannot disagree, and a command's ``--help``
shows them without importing LightGBM, scikit-learn or pandas.

Examples
--------
>>> from advval import _defaults
>>> _defaults.VALIDATOR_ALPHA
0.05
"""

#: :class:`~advval.AdversarialValidator`: folds of the domain classifier's cross-fit
VALIDATOR_N_SPLITS = 5
#: :class:`~advval.AdversarialValidator`: significance level of the drift test
VALIDATOR_ALPHA = 0.05
#: :class:`~advval.AdversarialValidator`: the AUC's lower bound must exceed 0.5 + this
VALIDATOR_MIN_EFFECT = 0.01
#: :class:`~advval.AdversarialValidator`: a flagged column's distance exceeds this
VALIDATOR_MIN_DISTANCE = 0.02

#: :class:`~advval.DriftFeatureDropper`: most features the remedy may drop
DROPPER_MAX_DROP = 5

#: :class:`~advval.FeatureDependencyChecker`: folds of each substitution task
CHECKER_N_SPLITS = 3
#: :class:`~advval.FeatureDependencyChecker`: significance level of the dependency tests
CHECKER_ALPHA = 0.05
#: :class:`~advval.FeatureDependencyChecker`: most features checked
CHECKER_MAX_FEATURES = 1000
