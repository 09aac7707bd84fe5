//! Small builders for the objects networking reads, for tests here and in other modules:
//! `service("default", "web").cluster_ip("10.96.12.34").port(80)` and
//! `slice("default", "web").endpoint("10.244.1.5", "node1")`.
//!
//! They go through JSON, as objects do in the rest of the core, so the shapes are the API's.

use crate::sim::api::core_v1::EndpointSlice;
use crate::sim::api::core_v1::Service;
use serde_json::{json, Value};

pub struct ServiceBuilder(Value);

pub fn service(namespace: &str, name: &str) -> ServiceBuilder {
    ServiceBuilder(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"namespace": namespace, "name": name},
        "spec": {"type": "ClusterIP", "ports": []}
    }))
}

impl ServiceBuilder {
    pub fn cluster_ip(mut self, ip: &str) -> Self {
        self.0["spec"]["clusterIP"] = json!(ip);
        self.0["spec"]["clusterIPs"] = json!([ip]);
        self
    }

    pub fn type_(mut self, type_: &str) -> Self {
        self.0["spec"]["type"] = json!(type_);
        self
    }

    /// An unnamed TCP port with `targetPort` equal to `port`.
    pub fn port(self, port: i32) -> Self {
        self.named_port("", port, port, "TCP", None)
    }

    pub fn named_port(
        mut self,
        name: &str,
        port: i32,
        target_port: i32,
        protocol: &str,
        node_port: Option<i32>,
    ) -> Self {
        let mut p = json!({"port": port, "targetPort": target_port, "protocol": protocol});
        if !name.is_empty() {
            p["name"] = json!(name);
        }
        if let Some(np) = node_port {
            p["nodePort"] = json!(np);
        }
        if let Some(ports) = self.0["spec"]["ports"].as_array_mut() {
            ports.push(p);
        }
        self
    }

    pub fn load_balancer_ip(mut self, ip: &str) -> Self {
        self.0["status"] = json!({"loadBalancer": {"ingress": [{"ip": ip}]}});
        self
    }

    pub fn build(self) -> Service {
        crate::sim::api::typed::typed(&self.0).expect("fixture service is well formed")
    }
}

pub struct SliceBuilder(Value);

/// A slice for `name`'s unnamed port 80 (change with [`SliceBuilder::port`]).
pub fn slice(namespace: &str, name: &str) -> SliceBuilder {
    SliceBuilder(json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"namespace": namespace, "name": format!("{name}-abcde"),
                     "labels": {"kubernetes.io/service-name": name}},
        "addressType": "IPv4",
        "endpoints": [],
        "ports": [{"port": 80, "protocol": "TCP"}]
    }))
}

impl SliceBuilder {
    pub fn port(mut self, name: &str, port: i32, protocol: &str) -> Self {
        let mut p = json!({"port": port, "protocol": protocol});
        if !name.is_empty() {
            p["name"] = json!(name);
        }
        self.0["ports"] = json!([p]);
        self
    }

    pub fn endpoint(self, ip: &str, node: &str) -> Self {
        self.endpoint_with(
            ip,
            node,
            json!({"ready": true, "serving": true, "terminating": false}),
        )
    }

    pub fn endpoint_with(mut self, ip: &str, node: &str, conditions: Value) -> Self {
        if let Some(eps) = self.0["endpoints"].as_array_mut() {
            eps.push(json!({"addresses": [ip], "conditions": conditions, "nodeName": node}));
        }
        self
    }

    pub fn hostname(mut self, hostname: &str) -> Self {
        if let Some(last) = self.0["endpoints"]
            .as_array_mut()
            .and_then(|e| e.last_mut())
        {
            last["hostname"] = json!(hostname);
        }
        self
    }

    pub fn build(self) -> EndpointSlice {
        crate::sim::api::typed::typed(&self.0).expect("fixture slice is well formed")
    }
}
