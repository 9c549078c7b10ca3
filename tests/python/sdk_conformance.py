#!/usr/bin/env python3
"""Microsoft's own Python SDKs drive the adfctl emulator.

Creates, reads, lists, updates and deletes a resource group, a factory and each Data Factory
entity kind, checks that a started trigger refuses an update, and exercises the runs API.
Pinned SDKs: tests/python/requirements.txt (azure-mgmt-datafactory 9.3.0: 10.0.0 serializes
polymorphic models with the wrong discriminator, ARM-FACTS §13).

Usage: python3 tests/python/sdk_conformance.py --endpoint http://127.0.0.1:PORT
"""

import argparse
import datetime
import sys
import time

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.datafactory import DataFactoryManagementClient
from azure.mgmt.datafactory import models as m

try:  # azure-mgmt-resource >= 24 moved the client
    from azure.mgmt.resource.resources import ResourceManagementClient
except ImportError:  # pragma: no cover
    from azure.mgmt.resource import ResourceManagementClient

SUBSCRIPTION = "00000000-0000-0000-0000-00000000c0de"
RG = "SdkRG"
FACTORY = "sdk-factory-1"
SECRET = "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=c2VjcmV0"


class EmulatorCredential:
    """Any bearer token is accepted by the emulator (azure-identity refuses http authorities)."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken("emulator-token", int(time.time()) + 3600)


class AllowHttp(SansIOHTTPPolicy):
    """Lets the real bearer-token policy run over plain http (ARM-FACTS §13, option b)."""

    def on_request(self, request):
        request.context["enforce_https"] = False


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print(f"  ok: {message}")


def clients(endpoint):
    common = dict(
        base_url=endpoint,
        per_call_policies=[AllowHttp()],
        polling_interval=0,
        retry_total=0,
    )
    credential = EmulatorCredential()
    return (
        ResourceManagementClient(credential, SUBSCRIPTION, **common),
        DataFactoryManagementClient(credential, SUBSCRIPTION, **common),
    )


def ref(kind, name):
    return kind(reference_name=name, type=kind.__name__)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    endpoint = parser.parse_args().endpoint.rstrip("/")
    resources, adf = clients(endpoint)

    print("resource group")
    group = resources.resource_groups.create_or_update(RG, {"location": "eastus"})
    check(group.name == RG and group.properties.provisioning_state == "Succeeded", "group created")
    check(resources.resource_groups.check_existence(RG), "group exists (HEAD 204)")
    check(not resources.resource_groups.check_existence("NoSuchRG"), "missing group (HEAD 404)")
    updated = resources.resource_groups.update(RG, {"tags": {"env": "test"}})
    check(updated.tags == {"env": "test"}, "group tags updated")
    check(resources.resource_groups.get(RG.lower()).name == RG, "group read case-insensitively")
    check(RG in [g.name for g in resources.resource_groups.list()], "group listed")

    print("factory")
    factory = adf.factories.create_or_update(RG, FACTORY, m.Factory(location="eastus"))
    check(factory.name == FACTORY and factory.provisioning_state == "Succeeded", "factory created")
    check(adf.factories.get(RG, FACTORY).e_tag == factory.e_tag, "factory read")
    updated = adf.factories.update(RG, FACTORY, m.FactoryUpdateParameters(tags={"team": "data"}))
    check(updated.tags == {"team": "data"} and updated.e_tag != factory.e_tag, "factory updated, new eTag")
    check(FACTORY in [f.name for f in adf.factories.list_by_resource_group(RG)], "factory listed by group")
    check(FACTORY in [f.name for f in adf.factories.list()], "factory listed by subscription")
    check(
        FACTORY in [r.name for r in resources.resources.list_by_resource_group(RG)],
        "factory listed among the group's resources",
    )

    print("linked service")
    ls = m.LinkedServiceResource(
        properties=m.AzureBlobStorageLinkedService(connection_string={"type": "SecureString", "value": SECRET})
    )
    created = adf.linked_services.create_or_update(RG, FACTORY, "StorageLS", ls)
    got = adf.linked_services.get(RG, FACTORY, "storagels")
    check(got.name == "StorageLS", "linked service read case-insensitively, casing kept")
    check(got.properties.connection_string["value"] == "**********", "secret masked on GET")
    check(got.properties.encrypted_credential, "encryptedCredential added")
    ls.properties.description = "updated"
    again = adf.linked_services.create_or_update(RG, FACTORY, "StorageLS", ls, if_match=created.etag)
    check(again.etag != created.etag, "linked service updated with If-Match, new etag")
    try:
        adf.linked_services.create_or_update(RG, FACTORY, "StorageLS", ls, if_match=created.etag)
        raise AssertionError("a stale If-Match was accepted")
    except HttpResponseError as error:
        check(error.status_code == 412, "stale If-Match refused (412)")
    check([x.name for x in adf.linked_services.list_by_factory(RG, FACTORY)] == ["StorageLS"], "linked services listed")

    print("dataset")
    ds = m.DatasetResource(
        properties=m.AzureBlobDataset(
            linked_service_name=ref(m.LinkedServiceReference, "StorageLS"), folder_path="input"
        )
    )
    adf.datasets.create_or_update(RG, FACTORY, "InputDS", ds)
    check(adf.datasets.get(RG, FACTORY, "InputDS").properties.folder_path == "input", "dataset read")
    ds.properties.folder_path = "input2"
    adf.datasets.create_or_update(RG, FACTORY, "InputDS", ds)
    check(adf.datasets.get(RG, FACTORY, "InputDS").properties.folder_path == "input2", "dataset updated")
    check(len(list(adf.datasets.list_by_factory(RG, FACTORY))) == 1, "datasets listed")
    try:
        bad = m.DatasetResource(
            properties=m.AzureBlobDataset(linked_service_name=ref(m.LinkedServiceReference, "NoSuchLS"))
        )
        adf.datasets.create_or_update(RG, FACTORY, "BadDS", bad)
        raise AssertionError("a dataset with a missing linked service was accepted")
    except HttpResponseError as error:
        check(error.status_code == 400, "dataset with a missing linked service refused")

    print("pipeline")
    pipeline = m.PipelineResource(
        activities=[m.WaitActivity(name="wait", wait_time_in_seconds=1)],
        parameters={"p": m.ParameterSpecification(type="String")},
    )
    adf.pipelines.create_or_update(RG, FACTORY, "WaitPipeline", pipeline)
    check(adf.pipelines.get(RG, FACTORY, "WaitPipeline").activities[0].type == "Wait", "pipeline read")
    pipeline.description = "updated"
    adf.pipelines.create_or_update(RG, FACTORY, "WaitPipeline", pipeline)
    check(adf.pipelines.get(RG, FACTORY, "WaitPipeline").description == "updated", "pipeline updated")
    check(len(list(adf.pipelines.list_by_factory(RG, FACTORY))) == 1, "pipelines listed")

    print("data flow")
    flow = m.DataFlowResource(properties=m.MappingDataFlow(description="flow"))
    adf.data_flows.create_or_update(RG, FACTORY, "Flow1", flow)
    flow.properties.description = "flow2"
    adf.data_flows.create_or_update(RG, FACTORY, "Flow1", flow)
    check(adf.data_flows.get(RG, FACTORY, "Flow1").properties.description == "flow2", "data flow created, updated, read")
    check(len(list(adf.data_flows.list_by_factory(RG, FACTORY))) == 1, "data flows listed")

    print("integration runtime")
    runtime = m.IntegrationRuntimeResource(properties=m.SelfHostedIntegrationRuntime(description="shir"))
    adf.integration_runtimes.create_or_update(RG, FACTORY, "shir-1", runtime)
    runtime.properties.description = "shir2"
    adf.integration_runtimes.create_or_update(RG, FACTORY, "shir-1", runtime)
    check(adf.integration_runtimes.get(RG, FACTORY, "shir-1").properties.description == "shir2", "runtime created, updated, read")
    check(len(list(adf.integration_runtimes.list_by_factory(RG, FACTORY))) == 1, "runtimes listed")

    print("global parameters")
    params = m.GlobalParameterResource(properties={"wait": m.GlobalParameterSpecification(type="Int", value=5)})
    adf.global_parameters.create_or_update(RG, FACTORY, "default", params)
    params.properties["wait"].value = 6
    adf.global_parameters.create_or_update(RG, FACTORY, "default", params)
    check(adf.global_parameters.get(RG, FACTORY, "default").properties["wait"].value == 6, "global parameters created, updated, read")
    check(len(list(adf.global_parameters.list_by_factory(RG, FACTORY))) == 1, "global parameters listed")

    print("trigger")
    trigger = m.TriggerResource(
        properties=m.ScheduleTrigger(
            recurrence=m.ScheduleTriggerRecurrence(
                frequency="Minute",
                interval=15,
                start_time=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
                time_zone="UTC",
            ),
            pipelines=[m.TriggerPipelineReference(pipeline_reference=ref(m.PipelineReference, "WaitPipeline"), parameters={"p": "x"})],
        )
    )
    created = adf.triggers.create_or_update(RG, FACTORY, "Every15", trigger)
    check(created.properties.runtime_state == "Stopped", "trigger created Stopped")
    adf.triggers.begin_start(RG, FACTORY, "Every15").result()
    check(adf.triggers.get(RG, FACTORY, "Every15").properties.runtime_state == "Started", "trigger started")
    try:
        adf.triggers.create_or_update(RG, FACTORY, "Every15", trigger)
        raise AssertionError("a started trigger accepted an update")
    except HttpResponseError as error:
        check(error.status_code == 400 and error.error.code == "TriggerEnabledCannotUpdate", "started trigger refuses an update")
    adf.triggers.begin_stop(RG, FACTORY, "Every15").result()
    trigger.properties.description = "updated"
    updated = adf.triggers.create_or_update(RG, FACTORY, "Every15", trigger)
    check(updated.properties.description == "updated", "stopped trigger updated")
    check(len(list(adf.triggers.list_by_factory(RG, FACTORY))) == 1, "triggers listed")

    print("runs")
    run = adf.pipelines.create_run(RG, FACTORY, "WaitPipeline", parameters={"p": "v"})
    got = adf.pipeline_runs.get(RG, FACTORY, run.run_id)
    check(got.status == "Queued" and got.parameters == {"p": "v"}, "run created and read")
    now = datetime.datetime.now(datetime.timezone.utc)
    window = m.RunFilterParameters(
        last_updated_after=now - datetime.timedelta(days=1), last_updated_before=now + datetime.timedelta(days=1)
    )
    runs = adf.pipeline_runs.query_by_factory(RG, FACTORY, window)
    check([r.run_id for r in runs.value] == [run.run_id], "runs queried")
    activities = adf.activity_runs.query_by_pipeline_run(RG, FACTORY, run.run_id, window)
    check(activities.value == [], "activity runs queried")
    check(adf.trigger_runs.query_by_factory(RG, FACTORY, window).value == [], "trigger runs queried")
    adf.pipeline_runs.cancel(RG, FACTORY, run.run_id)
    check(adf.pipeline_runs.get(RG, FACTORY, run.run_id).status == "Cancelled", "run cancelled")

    print("deletes")
    try:
        adf.linked_services.delete(RG, FACTORY, "StorageLS")
        raise AssertionError("a referenced linked service was deleted")
    except HttpResponseError as error:
        check(error.status_code == 400 and "referenced by" in error.message, "referenced linked service kept")
    adf.triggers.delete(RG, FACTORY, "Every15")
    adf.pipelines.delete(RG, FACTORY, "WaitPipeline")
    adf.datasets.delete(RG, FACTORY, "InputDS")
    adf.linked_services.delete(RG, FACTORY, "StorageLS")
    adf.data_flows.delete(RG, FACTORY, "Flow1")
    adf.integration_runtimes.delete(RG, FACTORY, "shir-1")
    adf.global_parameters.delete(RG, FACTORY, "default")
    try:
        adf.pipelines.get(RG, FACTORY, "WaitPipeline")
        raise AssertionError("a deleted pipeline was found")
    except ResourceNotFoundError:
        check(True, "entities deleted")
    adf.factories.delete(RG, FACTORY)
    check(FACTORY not in [f.name for f in adf.factories.list_by_resource_group(RG)], "factory deleted")
    resources.resource_groups.begin_delete(RG).result()
    check(not resources.resource_groups.check_existence(RG), "group deleted (long-running operation)")
    print("sdk conformance: ok")


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 - report any failure with its type
        print(f"sdk conformance: FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        raise
