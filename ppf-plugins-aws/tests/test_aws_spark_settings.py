"""What the AWS plugin asks of a Spark session: hadoop-aws matching pyspark, S3A for every S3 scheme."""

from __future__ import annotations

from pathlib import Path

import attrs
import pyspark

from ppf_aws import S3Source
from ppf_aws.spark_settings import hadoop_aws_package, ppf_spark_session_settings, s3_conf
from pyspark_pipeline_framework.components.files import FileSink, FileSinkConfig
from pyspark_pipeline_framework.testing import session_conf, validate_pipeline


@attrs.frozen
class _Step:
    name: str
    component_class: type
    config: object


def test_hadoop_aws_matches_the_hadoop_client_in_pyspark():
    jars = {p.name for p in (Path(pyspark.__file__).parent / "jars").glob("hadoop-client-api-*.jar")}
    version = hadoop_aws_package().rsplit(":", 1)[1]
    assert jars == {f"hadoop-client-api-{version}.jar"}


def test_s3_components_get_the_package_and_scheme_mapping():
    answer = ppf_spark_session_settings(component_types=[S3Source], steps=[])
    assert answer["packages"] == [hadoop_aws_package()]
    assert answer["conf"]["spark.hadoop.fs.s3.impl"] == "org.apache.hadoop.fs.s3a.S3AFileSystem"
    assert answer["conf"]["spark.hadoop.fs.s3n.impl"] == "org.apache.hadoop.fs.s3a.S3AFileSystem"


def test_another_plugins_component_with_an_s3_path_gets_s3_settings():
    on_s3 = _Step("out", FileSink, FileSinkConfig(path="s3://warehouse/users", format="delta"))
    assert ppf_spark_session_settings(component_types=[FileSink], steps=[on_s3]) is not None


def test_pipeline_without_s3_gets_nothing():
    local = _Step("out", FileSink, FileSinkConfig(path="/data/users", options={"note": "s3 later"}))
    assert ppf_spark_session_settings(component_types=[FileSink], steps=[local]) is None


def test_aws_endpoint_url_points_s3a_at_a_compatible_store():
    conf = s3_conf({"AWS_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_REGION": "eu-west-1"})
    assert conf["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:9000"
    assert conf["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] == "false"
    assert conf["spark.hadoop.fs.s3a.endpoint.region"] == "eu-west-1"
    assert "spark.hadoop.fs.s3a.endpoint" not in s3_conf({})


def test_users_spark_conf_wins_over_every_plugin_default(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://from-env:9000")
    user = {
        "spark.hadoop.fs.s3a.endpoint": "http://mine:9000",
        "spark.hadoop.fs.s3.impl": "com.example.MyFs",
        "spark.hadoop.fs.s3a.path.style.access": "false",
    }
    pipeline = validate_pipeline(
        {
            "name": "p",
            "spark": {"conf": user},
            "steps": [
                {"name": "read", "type": "S3Source", "config": {"path": "s3://raw/users"}},
                {"name": "out", "type": "ParquetSink", "config": {"path": "/tmp/out"}},
            ],
        }
    )
    conf = session_conf(pipeline)  # what `ppf run` builds the session with, the plugin's answer included
    for key, value in user.items():
        assert conf[key] == value
    assert conf["spark.hadoop.fs.s3n.impl"] == "org.apache.hadoop.fs.s3a.S3AFileSystem"
    assert conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] == "false"  # the plugin's, from AWS_ENDPOINT_URL
