//! The managed virtual network, its private endpoints, credentials and change data capture,
//! end to end: deployed in dependency order, planned clean, exported and planned clean again;
//! a changed private endpoint is a replacement that needs `--allow-replace`; apply reports
//! each endpoint's approval state (Pending until the target's owner approves it).

use crate::support::{EmulatorProcess, http_request};
use std::path::Path;

const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";

fn spec(group_id: &str) -> String {
    format!(
        "subscription: {SUBSCRIPTION}
resourceGroup: {{name: rg-vnet, location: westeurope}}
factory: {{name: vnet-factory, location: westeurope}}
managedVirtualNetworks:
  default:
managedPrivateEndpoints:
  pe_lake:
    privateLinkResourceId: /subscriptions/{SUBSCRIPTION}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/lake
    groupId: {group_id}
credentials:
  uami:
    type: ManagedIdentity
    typeProperties:
      resourceId: /subscriptions/{SUBSCRIPTION}/resourcegroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/adf-uami
integrationRuntimes:
  vnetRuntime:
    type: Managed
    managedVirtualNetwork: default
    typeProperties:
      computeProperties: {{location: AutoResolve}}
linkedServices:
  lake:
    type: AzureBlobFS
    connectVia: vnetRuntime
    typeProperties:
      url: https://lake.dfs.core.windows.net
      credential: uami
changeDataCaptures:
  orders_cdc:
    SourceConnectionsInfo: []
    TargetConnectionsInfo: []
    Policy: {{mode: Microbatch, recurrence: {{frequency: Minute, interval: 15}}}}
"
    )
}

fn write(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("spec.yaml");
    std::fs::write(&path, text).expect("write spec");
    path
}

#[test]
fn a_managed_network_with_endpoints_credentials_and_cdc_deploys_plans_clean_and_exports() {
    let emulator = EmulatorProcess::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(dir.path(), &spec("dfs"));
    let files = [file.as_path()];

    let (code, stdout, stderr) = emulator.adfctl_files(&["apply", "--auto-approve"], &files);
    assert_eq!(code, 0, "apply:\n{stdout}\n{stderr}");
    // The new endpoint waits for the owner of the storage account.
    assert!(
        stderr.contains(&format!(
            "managedPrivateEndpoint/pe_lake: Pending (approve it on the target resource: /subscriptions/{SUBSCRIPTION}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/lake)"
        )),
        "{stderr}"
    );
    let (code, stdout, stderr) = emulator.adfctl_files(&["plan", "--detailed-exitcode"], &files);
    assert_eq!(
        code, 0,
        "the plan after apply is not clean:\n{stdout}\n{stderr}"
    );

    // The endpoint is served under its network, with the approval state ADF reports.
    let url = format!(
        "{}/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-vnet/providers/Microsoft.DataFactory/factories/vnet-factory/managedVirtualNetworks/default/managedPrivateEndpoints/pe_lake?api-version=2018-06-01",
        emulator.endpoint
    );
    let (status, body) = http_request("GET", &url, None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"Pending\""), "{body}");
    assert!(
        body.contains("/managedVirtualNetworks/default/managedPrivateEndpoints/pe_lake"),
        "{body}"
    );

    // The owner approves the private link (the emulator's test API stands in for the storage
    // account); the plan stays clean, and the next apply reports the approval.
    let approve = format!(
        "{}/_emulator/privateEndpoints/approve?factory=/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-vnet/providers/Microsoft.DataFactory/factories/vnet-factory&name=pe_lake",
        emulator.endpoint
    );
    let (status, body) = http_request("POST", &approve, None);
    assert_eq!(status, 200, "{body}");
    // The capture was deployed stopped; started by hand, it stays started across deploys.
    let capture = format!(
        "{}/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-vnet/providers/Microsoft.DataFactory/factories/vnet-factory/adfcdcs/orders_cdc",
        emulator.endpoint
    );
    let status_url = format!("{capture}/status?api-version=2018-06-01");
    assert_eq!(
        http_request("GET", &status_url, None),
        (200, "\"Stopped\"".to_owned())
    );
    let (status, body) = http_request(
        "POST",
        &format!("{capture}/start?api-version=2018-06-01"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let (code, stdout, stderr) = emulator.adfctl_files(&["apply", "--auto-approve"], &files);
    assert_eq!(code, 0, "apply after approval:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("managedPrivateEndpoint/pe_lake: Approved"),
        "{stderr}"
    );
    let (code, stdout, stderr) = emulator.adfctl_files(&["plan", "--detailed-exitcode"], &files);
    assert_eq!(code, 0, "an approval is no drift:\n{stdout}\n{stderr}");
    assert_eq!(
        http_request("GET", &status_url, None),
        (200, "\"Running\"".to_owned())
    );

    // A credential in use cannot be deleted (the linked service references it).
    let credential = format!(
        "{}/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-vnet/providers/Microsoft.DataFactory/factories/vnet-factory/credentials/uami?api-version=2018-06-01",
        emulator.endpoint
    );
    let (status, body) = http_request("DELETE", &credential, None);
    assert_eq!(status, 400, "{body}");

    // export, then the export alone plans clean.
    let exported = tempfile::tempdir().expect("temp dir");
    let output = emulator.adfctl(
        &[
            "export",
            "--subscription",
            SUBSCRIPTION,
            "--resource-group",
            "rg-vnet",
            "--factory",
            "vnet-factory",
            "-o",
            &exported.path().display().to_string(),
        ],
        &[],
    );
    let (stdout, stderr) = crate::support::text(&output);
    assert_eq!(output.status.code(), Some(0), "export:\n{stdout}\n{stderr}");
    let (code, stdout, stderr) =
        emulator.adfctl_files(&["plan", "--detailed-exitcode"], &[exported.path()]);
    assert_eq!(
        code, 0,
        "the plan of the export is not clean:\n{stdout}\n{stderr}"
    );

    // A changed endpoint is a replacement: refused without --allow-replace, then done.
    let file = write(dir.path(), &spec("blob"));
    let files = [file.as_path()];
    let (code, stdout, stderr) = emulator.adfctl_files(&["apply", "--auto-approve"], &files);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("managedPrivateEndpoint/pe_lake")
            && stderr.contains("cannot change in place")
            && stderr.contains("--allow-replace"),
        "{stderr}"
    );
    let (code, stdout, stderr) =
        emulator.adfctl_files(&["apply", "--auto-approve", "--allow-replace"], &files);
    assert_eq!(code, 0, "apply --allow-replace:\n{stdout}\n{stderr}");
    // The new endpoint needs approving again.
    assert!(
        stderr.contains("managedPrivateEndpoint/pe_lake: Pending (approve it"),
        "{stderr}"
    );
    let (code, stdout, stderr) = emulator.adfctl_files(&["plan", "--detailed-exitcode"], &files);
    assert_eq!(code, 0, "{stdout}\n{stderr}");

    // destroy leaves nothing behind (the network goes with the factory).
    let (code, stdout, stderr) = emulator.adfctl_files(&["destroy", "--auto-approve"], &files);
    assert_eq!(code, 0, "destroy:\n{stdout}\n{stderr}");
}
