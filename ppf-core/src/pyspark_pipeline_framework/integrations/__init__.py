"""ppf under schedulers: Airflow's operator (:mod:`.airflow`, extra ``ppf-core[airflow]``) and Dagster's
assets (:mod:`.dagster`, extra ``ppf-core[dagster]``), both on :mod:`pyspark_pipeline_framework.api`.

Nothing imports these modules but their users: importing ppf never imports a scheduler.
"""
