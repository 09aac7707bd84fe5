//! Usage figures per container, pod and node: what cAdvisor measures and metrics-server serves
//! to `kubectl top` (`NAME  CPU(cores)  MEMORY(bytes)`; the printing is kubectl's).
//!
//! Mirrors: the kubelet's `/metrics/resource` endpoint (container_cpu_usage_seconds_total turned
//! into a rate, container_memory_working_set_bytes) and metrics-server's sums per pod; node usage
//! is the pods' sum plus the system's own share (kubelet, containerd, the OS).
//! Simplified: a figure is the runtime's instantaneous reading at the last sync, no 15 s window.

/// Memory the OS, the kubelet and containerd use on a VM, outside any pod.
pub const SYSTEM_MEMORY_BYTES: u64 = 310 * 1024 * 1024;
/// CPU the system uses while idle.
pub const SYSTEM_CPU_MILLIS: u64 = 40;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerUsage {
    pub name: String,
    pub cpu_millis: u64,
    pub memory_bytes: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodUsage {
    pub namespace: String,
    pub name: String,
    pub containers: Vec<ContainerUsage>,
}

impl PodUsage {
    pub fn cpu_millis(&self) -> u64 {
        self.containers.iter().map(|c| c.cpu_millis).sum()
    }

    pub fn memory_bytes(&self) -> u64 {
        self.containers.iter().map(|c| c.memory_bytes).sum()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeUsage {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    pub cpu_millis_capacity: u64,
    pub memory_bytes_capacity: u64,
}

impl NodeUsage {
    /// The node's usage from its pods' figures plus the system's share.
    pub fn from_pods<'a>(
        pods: impl IntoIterator<Item = &'a PodUsage>,
        cpus: u32,
        memory_bytes_capacity: u64,
    ) -> Self {
        let (mut cpu, mut memory) = (SYSTEM_CPU_MILLIS, SYSTEM_MEMORY_BYTES);
        for p in pods {
            cpu += p.cpu_millis();
            memory += p.memory_bytes();
        }
        NodeUsage {
            cpu_millis: cpu,
            memory_bytes: memory,
            cpu_millis_capacity: u64::from(cpus) * 1000,
            memory_bytes_capacity,
        }
    }

    /// `CPU(%)` and `MEMORY(%)` of `kubectl top nodes` (against allocatable upstream; capacity
    /// here, the difference being the eviction threshold).
    pub fn percentages(&self) -> (u64, u64) {
        let pct = |used: u64, of: u64| (used * 100).checked_div(of).unwrap_or(0);
        (
            pct(self.cpu_millis, self.cpu_millis_capacity),
            pct(self.memory_bytes, self.memory_bytes_capacity),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_sums_its_pods_and_the_system() {
        let pod = PodUsage {
            namespace: "default".into(),
            name: "web".into(),
            containers: vec![
                ContainerUsage {
                    name: "a".into(),
                    cpu_millis: 10,
                    memory_bytes: 1 << 20,
                },
                ContainerUsage {
                    name: "b".into(),
                    cpu_millis: 5,
                    memory_bytes: 2 << 20,
                },
            ],
        };
        assert_eq!((pod.cpu_millis(), pod.memory_bytes()), (15, 3 << 20));
        let node = NodeUsage::from_pods([&pod], 1, 1 << 30);
        assert_eq!(node.cpu_millis, 55);
        assert_eq!(node.percentages(), (5, 30));
    }
}
