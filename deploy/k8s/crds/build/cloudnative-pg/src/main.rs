//! CloudNativePG's Cluster CRD, as JSON on stdout.
use kube::CustomResourceExt;

fn main() {
    let crd = k8s_crds_cloud_native_pg::clusters::Cluster::crd();
    println!("{}", serde_json::to_string_pretty(&crd).expect("a CRD serialises"));
}
