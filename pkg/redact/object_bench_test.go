package redact

import (
	"testing"

	"sigs.k8s.io/yaml"
)

// benchDeployment is a Deployment as the API server returns it: managed
// fields, a last-applied-configuration, env, args and probes.
const benchDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  uid: 1d6e1c3a-6a43-4b55-9a8e-2f9d3b1c0e11
  resourceVersion: "123456"
  generation: 7
  creationTimestamp: "2026-01-02T03:04:05Z"
  labels: {app: api, tier: backend, app.kubernetes.io/part-of: shop}
  annotations:
    deployment.kubernetes.io/revision: "7"
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"labels":{"app":"api"},"name":"api","namespace":"shop"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"api"}},"template":{"metadata":{"labels":{"app":"api"}},"spec":{"containers":[{"args":["--port=8080","--db-password=hunter2"],"env":[{"name":"DB_HOST","value":"db"},{"name":"DB_PASSWORD","value":"hunter2"}],"image":"quay.io/shop/api:1.2.3","name":"api"}]}}}}
  managedFields:
  - manager: kubectl-client-side-apply
    operation: Update
    apiVersion: apps/v1
    time: "2026-01-02T03:04:05Z"
    fieldsType: FieldsV1
    fieldsV1:
      f:metadata:
        f:annotations: {.: {}, f:kubectl.kubernetes.io/last-applied-configuration: {}}
        f:labels: {.: {}, f:app: {}}
      f:spec:
        f:replicas: {}
        f:template:
          f:spec:
            f:containers:
              k:{"name":"api"}:
                .: {}
                f:args: {}
                f:env:
                  .: {}
                  k:{"name":"DB_HOST"}: {.: {}, f:name: {}, f:value: {}}
                  k:{"name":"DB_PASSWORD"}: {.: {}, f:name: {}, f:value: {}}
                f:image: {}
                f:name: {}
spec:
  replicas: 3
  revisionHistoryLimit: 10
  progressDeadlineSeconds: 600
  selector: {matchLabels: {app: api}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}}
  template:
    metadata:
      labels: {app: api}
    spec:
      serviceAccountName: api
      terminationGracePeriodSeconds: 30
      containers:
      - name: api
        image: quay.io/shop/api:1.2.3
        imagePullPolicy: IfNotPresent
        args: ["--port=8080", "--db-password=hunter2", "--log-level=info"]
        env:
        - {name: DB_HOST, value: db}
        - {name: DB_PASSWORD, value: hunter2}
        - {name: HTTP_PROXY, value: "http://user:pass@proxy:3128"}
        - name: API_KEY
          valueFrom: {secretKeyRef: {name: api, key: key}}
        ports: [{containerPort: 8080, name: http, protocol: TCP}]
        resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
        readinessProbe:
          httpGet: {path: /ready, port: 8080, scheme: HTTP}
          periodSeconds: 10
        livenessProbe:
          httpGet: {path: /healthz, port: 8080, scheme: HTTP}
        volumeMounts: [{name: config, mountPath: /etc/api}]
      volumes:
      - name: config
        configMap: {name: api-config}
status:
  replicas: 3
  readyReplicas: 3
  availableReplicas: 3
  observedGeneration: 7
  conditions:
  - {type: Available, status: "True", reason: MinimumReplicasAvailable, lastTransitionTime: "2026-01-02T03:04:05Z"}
  - {type: Progressing, status: "True", reason: NewReplicaSetAvailable, lastTransitionTime: "2026-01-02T03:04:05Z"}
`

const benchSecret = `apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata:
  name: api-tls
  namespace: shop
  uid: 0b1e6a43-6a43-4b55-9a8e-2f9d3b1c0e11
  resourceVersion: "123457"
  annotations: {openshift.io/owning-component: shop}
data:
  tls.crt: Q0VSVElGSUNBVEUgQ0VSVElGSUNBVEUgQ0VSVElGSUNBVEUgQ0VSVElGSUNBVEU=
  tls.key: UFJJVkFURSBLRVkgUFJJVkFURSBLRVkgUFJJVkFURSBLRVkgUFJJVkFURSBLRVk=
  password: aHVudGVyMg==
`

// BenchmarkObject measures Object on what a big cluster has most of; it runs
// only with -bench (go test -run '^$' -bench Object ./pkg/redact).
func BenchmarkObject(b *testing.B) {
	for _, bc := range []struct{ name, obj string }{
		{"Deployment", benchDeployment},
		{"Secret", benchSecret},
	} {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(bc.obj), &obj); err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Object(obj)
			}
		})
		md, _ := obj["metadata"].(map[string]any)
		if ann, _ := md["annotations"].(map[string]any); ann[lastApplied] != nil {
			// Most objects of a cluster are made by operators or applied
			// server-side: no last-applied-configuration to decode.
			delete(ann, lastApplied)
			b.Run(bc.name+"/no-last-applied", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					Object(obj)
				}
			})
		}
	}
}
