"""Measures of a trained generator: pure functions on features, predictions or samples (no models, no files).

Import from the modules, e.g. ``from ganforge.metrics.fid import fid`` (re-exporting here would hide the modules
``fid``, ``kid`` and ``inception_score`` behind functions of the same name):

- ``fid``: ``frechet_distance``, ``feature_stats``, ``fid`` (Heusel et al., 2017);
- ``kid``: ``kid`` (Binkowski et al., 2018);
- ``inception_score``: ``inception_score``, also the classifier score (Salimans et al., 2016);
- ``prdc``: ``precision_recall`` (Kynkaanniemi et al., 2019), ``density_coverage`` (Naeem et al., 2020);
- ``classes``: ``class_statistics``, ``stacked_mnist_modes``;
- ``modes``: ``mode_coverage``, ``ModeCoverage``, ``PROTOCOL_SAMPLES`` (VEEGAN / PacGAN protocol);
- ``recovery``: ``class_accuracy`` of a conditional G, ``code_recovery`` of InfoGAN's codes.
"""
