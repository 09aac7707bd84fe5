//! kubectl's global `--as` / `--as-group` on every verb: the apiserver's impersonation filter
//! checks the admin may impersonate, then every stage after it sees the impersonated user; and
//! `kubectl auth whoami` and `kubectl auth can-i --list` answer for that user.
#![cfg(not(target_arch = "wasm32"))]

use kube_sandbox::sim::apiserver::{ApiRequest, Credentials, Impersonate, StatusReason, Verb};

#[path = "support/lab_shell.rs"]
mod lab_shell;
use lab_shell::{fails, lab, ok};

const SA: &str = "system:serviceaccount:default:default";

const READ_PODS: &str = "kubectl apply -f - <<EOF\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: pod-reader\n  namespace: default\nrules:\n- apiGroups: [\"\"]\n  resources: [\"pods\", \"pods/log\"]\n  verbs: [\"get\", \"list\"]\n- apiGroups: [\"apps\"]\n  resources: [\"deployments\"]\n  verbs: [\"get\"]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: default-reads-pods\n  namespace: default\nsubjects:\n- kind: ServiceAccount\n  name: default\n  namespace: default\nroleRef:\n  kind: Role\n  name: pod-reader\n  apiGroup: rbac.authorization.k8s.io\nEOF";

#[test]
fn every_verb_acts_as_the_impersonated_user_wherever_the_flag_stands() {
    let mut sh = lab();
    ok(&mut sh, "kubectl create deployment web --image=nginx");
    // kubectl 1.32 against a kubeadm cluster prints exactly these.
    for line in [
        format!("kubectl --as={SA} get pods"),
        format!("kubectl get pods --as {SA}"),
        format!("kubectl -n default get pods --as={SA} -o wide"),
    ] {
        assert_eq!(
            fails(&mut sh, &line),
            format!("Error from server (Forbidden): pods is forbidden: User \"{SA}\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"\n"),
            "{line}"
        );
    }
    assert_eq!(
        fails(&mut sh, &format!("kubectl --as={SA} scale deployment web --replicas=2")),
        format!("Error from server (Forbidden): deployments.apps \"web\" is forbidden: User \"{SA}\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"default\"\n")
    );
    assert!(
        fails(&mut sh, &format!("kubectl delete deployment web --as={SA}"))
            .contains("cannot delete resource \"deployments\"")
    );
    assert!(fails(&mut sh, "kubectl --as=bob create namespace x")
        .contains("User \"bob\" cannot create resource \"namespaces\""));
    assert!(fails(
        &mut sh,
        "kubectl create configmap app --from-literal=a=b --as=bob"
    )
    .contains("User \"bob\" cannot create resource \"configmaps\""));
    // Nothing was changed by the refused lines.
    assert!(ok(&mut sh, "kubectl get deploy web --no-headers").starts_with("web   1/1"));
    // A RoleBinding lets the service account read pods, and only that.
    ok(&mut sh, READ_PODS);
    let pods = ok(&mut sh, &format!("kubectl get pods --as={SA} --no-headers"));
    assert!(pods.starts_with("web-"), "{pods}");
    assert!(fails(
        &mut sh,
        &format!("kubectl get pods -n kube-system --as={SA}")
    )
    .contains("in the namespace \"kube-system\""));
    // A group asked for with --as-group counts: kubeadm binds cluster-admin to this one.
    let nodes = ok(
        &mut sh,
        "kubectl get nodes --as=bob --as-group=kubeadm:cluster-admins --no-headers",
    );
    assert_eq!(nodes.lines().count(), 3);
    assert_eq!(
        fails(&mut sh, "kubectl --as-group=kubeadm:cluster-admins get nodes"),
        "error: requesting uid, groups or user-extra for kubernetes-admin without impersonating a user\n"
    );
}

#[test]
fn the_apiserver_lets_only_who_may_impersonate_do_it() {
    let mut sh = lab();
    sh.backend_mut()
        .add_user_token("student-token", "student", &[]);
    let mut req = ApiRequest::new(
        Credentials::BearerToken("student-token".into()),
        Verb::List,
        "nodes",
    );
    req.impersonate = Some(Impersonate {
        user: "kubernetes-admin".into(),
        groups: vec!["kubeadm:cluster-admins".into()],
    });
    let err = sh
        .backend_mut()
        .submit(req.clone())
        .expect_err("student may not impersonate");
    assert_eq!(err.reason, StatusReason::Forbidden);
    assert_eq!(
        err.message,
        "users \"kubernetes-admin\" is forbidden: User \"student\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
    );
    // Given the right to impersonate users but not groups, the group is refused.
    ok(&mut sh, "kubectl apply -f - <<EOF\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: impersonator\nrules:\n- apiGroups: [\"\"]\n  resources: [\"users\"]\n  verbs: [\"impersonate\"]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: student-impersonates\nsubjects:\n- kind: User\n  name: student\n  apiGroup: rbac.authorization.k8s.io\nroleRef:\n  kind: ClusterRole\n  name: impersonator\n  apiGroup: rbac.authorization.k8s.io\nEOF");
    let err = sh
        .backend_mut()
        .submit(req.clone())
        .expect_err("no group right");
    assert_eq!(
        err.message,
        "groups \"kubeadm:cluster-admins\" is forbidden: User \"student\" cannot impersonate resource \"groups\" in API group \"\" at the cluster scope"
    );
    req.impersonate.as_mut().map(|i| i.groups.clear());
    // As kubernetes-admin without its group: RBAC has nothing for that name alone.
    let err = sh
        .backend_mut()
        .submit(req)
        .expect_err("the name alone has no rights");
    assert!(
        err.message
            .contains("User \"kubernetes-admin\" cannot list resource \"nodes\""),
        "{}",
        err.message
    );
}

#[test]
fn whoami_names_the_user_the_apiserver_sees() {
    let mut sh = lab();
    assert_eq!(
        ok(&mut sh, "kubectl auth whoami"),
        "ATTRIBUTE   VALUE\nUsername    kubernetes-admin\nGroups      [kubeadm:cluster-admins system:authenticated]\n"
    );
    assert_eq!(
        ok(&mut sh, &format!("kubectl auth whoami --as={SA}")),
        format!("ATTRIBUTE   VALUE\nUsername    {SA}\nGroups      [system:serviceaccounts system:serviceaccounts:default system:authenticated]\n")
    );
    assert_eq!(
        ok(&mut sh, "kubectl --as=jane --as-group=dev auth whoami -o yaml"),
        "apiVersion: authentication.k8s.io/v1\nkind: SelfSubjectReview\nmetadata:\n  creationTimestamp: null\nstatus:\n  userInfo:\n    groups:\n    - dev\n    - system:authenticated\n    username: jane\n"
    );
}

#[test]
fn can_i_list_prints_the_rules_as_kubectl_sorts_and_merges_them() {
    let mut sh = lab();
    assert_eq!(
        ok(&mut sh, "kubectl auth can-i --list"),
        "Resources   Non-Resource URLs   Resource Names   Verbs\n*.*         []                  []               [*]\n"
    );
    ok(&mut sh, READ_PODS);
    // Broken down to one verb each, merged per resource, sorted by the rule's Go string
    // (`&PolicyRule{Verbs:[get list],APIGroups:[],Resources:[pods/log],...`): the verbs first,
    // so `[get list]` before `[get]` (a space sorts before `]`), then `pods/log` before `pods`.
    assert_eq!(
        ok(&mut sh, &format!("kubectl auth can-i --list --as={SA}")),
        "Resources          Non-Resource URLs   Resource Names   Verbs\n\
         pods/log           []                  []               [get list]\n\
         pods               []                  []               [get list]\n\
         deployments.apps   []                  []               [get]\n"
    );
    assert_eq!(
        ok(
            &mut sh,
            &format!("kubectl auth can-i --list --as={SA} -n kube-system --no-headers")
        ),
        ""
    );
}
