"""The mining engine: scikit-learn style estimators on DataFrames, plus recorded runs.

- :mod:`mining.features`: the only fetching code (DuckDB SQL over the warehouse -> frames).
- :mod:`mining.segmentation`: ``BehaviourSegmenter`` (factors, k-means, profiles, projection),
  ``migration_matrix``.
- :mod:`mining.value`: ``ValueScorer`` (composite score, pyramid tiers, potential big customers).
- :mod:`mining.rules`: ``AssociationRules`` (bit-set Apriori, single-consequent rules, graph).
- :mod:`mining.crosssell`: ``PropensityModels`` (per product, ranked non-holders), ``affinity_table``.
- :mod:`mining.churn`: ``ChurnModel``, ``rank_dormant``.
- :mod:`mining.response`: ``ResponseModel`` (contact lists).
- :mod:`mining.classifier`: the shared ``ScoringModel``, ``cross_validate``, ``Cancelled``.
- :mod:`mining.metrics`: AUC, gain and lift curves, ALIFT, decile tables.
- :mod:`mining.runs`: ``run(kind, params, progress, cancel)``, ``latest_output``, ``list_runs``.
"""
