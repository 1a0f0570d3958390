package redact

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// oneLine makes a readable multi-line JSON literal one audit log line.
func oneLine(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		b.WriteString(strings.TrimSpace(l))
	}
	return b.String()
}

func TestAuditEvent(t *testing.T) {
	t.Parallel()
	head := func(verb, uri, ref string) string {
		return `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"2b9f0c1e-8f3a-4c6d-9e2b-7a1d3c5e7f90","stage":"ResponseComplete",
			"requestURI":"` + uri + `","verb":"` + verb + `",
			"user":{"username":"kubernetes-admin","groups":["kubeadm:cluster-admins","system:authenticated"]},
			"sourceIPs":["192.168.49.1"],"userAgent":"kubectl/v1.34.1 (linux/amd64) kubernetes/93248f9",
			"objectRef":` + ref + `,
			"responseStatus":{"metadata":{},"code":201}`
	}
	const tail = `,"requestReceivedTimestamp":"2026-11-26T12:00:00.000000Z","stageTimestamp":"2026-11-26T12:00:00.012345Z",
		"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}`
	secretRef := `{"resource":"secrets","namespace":"app","name":"db","apiVersion":"v1"}`
	tokenReviewRef := `{"resource":"tokenreviews","apiGroup":"authentication.k8s.io","apiVersion":"v1"}`
	tokenRequestRef := `{"resource":"serviceaccounts","namespace":"app","name":"builder","apiVersion":"v1","subresource":"token"}`
	podRef := `{"resource":"pods","namespace":"app","name":"web","apiVersion":"v1"}`
	cmRef := `{"resource":"configmaps","namespace":"app","name":"settings","apiVersion":"v1"}`
	pod := func(proxy, arg string) string {
		return `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","namespace":"app"},
			"spec":{"containers":[{"name":"web","image":"registry.example.com/web:1.2",
			"args":["--listen=:8080","` + arg + `"],
			"env":[{"name":"HTTPS_PROXY","value":"` + proxy + `"},{"name":"LOG_LEVEL","value":"debug"}]}]}}`
	}
	tests := []struct {
		name, in, want string
	}{
		{
			name: "Secret create at RequestResponse: objects dropped, the event stays",
			in: head("create", "/api/v1/namespaces/app/secrets?fieldManager=kubectl-client-side-apply", secretRef) +
				`,"requestObject":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db","namespace":"app"},"data":{"password":"aHVudGVyMg=="},"type":"Opaque"}` +
				`,"responseObject":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db","namespace":"app","uid":"5d7e"},"data":{"password":"aHVudGVyMg=="},"type":"Opaque"}` + tail,
			want: head("create", "/api/v1/namespaces/app/secrets?fieldManager=kubectl-client-side-apply", secretRef) + tail,
		},
		{
			name: "TokenReview with spec.token: objects dropped",
			in: head("create", "/apis/authentication.k8s.io/v1/tokenreviews", tokenReviewRef) +
				`,"requestObject":{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{"token":"opaque-token-value","audiences":["https://kubernetes.default.svc"]},"status":{"user":{}}}` +
				`,"responseObject":{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{"token":"opaque-token-value"},"status":{"authenticated":true,"user":{"username":"system:serviceaccount:app:web"}}}` + tail,
			want: head("create", "/apis/authentication.k8s.io/v1/tokenreviews", tokenReviewRef) + tail,
		},
		{
			name: "TokenRequest (serviceaccounts/token): objects dropped",
			in: head("create", "/api/v1/namespaces/app/serviceaccounts/builder/token", tokenRequestRef) +
				`,"requestObject":{"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","spec":{"audiences":null,"expirationSeconds":3600}}` +
				`,"responseObject":{"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","status":{"token":"opaque","expirationTimestamp":"2026-11-26T13:00:00Z"}}` + tail,
			want: head("create", "/api/v1/namespaces/app/serviceaccounts/builder/token", tokenRequestRef) + tail,
		},
		{
			name: "Pod create with a proxy credential and a token flag: masked, the rest stays",
			in: head("create", "/api/v1/namespaces/app/pods", podRef) +
				`,"requestObject":` + pod("http://proxyuser:pr0xyPass@proxy.example.com:3128", "--api-token=t0ken") + tail,
			want: head("create", "/api/v1/namespaces/app/pods", podRef) +
				`,"requestObject":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"app"},"spec":{"containers":[{"args":["--listen=:8080","--api-token=REDACTED"],` +
				`"env":[{"name":"HTTPS_PROXY","value":"http://proxyuser:REDACTED@proxy.example.com:3128"},{"name":"LOG_LEVEL","value":"debug"}],"image":"registry.example.com/web:1.2","name":"web"}]}}` + tail,
		},
		{
			name: "ConfigMap get: nothing to redact, byte for byte",
			in: head("get", "/api/v1/namespaces/app/configmaps/settings", cmRef) +
				`,"responseObject":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"settings","namespace":"app","resourceVersion":"12345678901234567890"},"data":{"log-level":"debug","replicas":"3"}}` + tail,
			want: head("get", "/api/v1/namespaces/app/configmaps/settings", cmRef) +
				`,"responseObject":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"settings","namespace":"app","resourceVersion":"12345678901234567890"},"data":{"log-level":"debug","replicas":"3"}}` + tail,
		},
		{
			name: "token in the request URI of a Metadata event",
			in:   head("get", "/api/v1/namespaces/app/pods/web/exec?command=sh&access_token=abc123", podRef) + tail,
			want: head("get", "/api/v1/namespaces/app/pods/web/exec?command=sh&access_token=REDACTED", podRef) + tail,
		},
		{
			name: "event cut while written: what is before its objects",
			in:   head("create", "/api/v1/namespaces/app/secrets", secretRef) + `,"requestObject":{"kind":"Secret","data":{"password":"aHVu`,
			want: head("create", "/api/v1/namespaces/app/secrets", secretRef) + `}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, want := oneLine(tc.in), oneLine(tc.want)
			got := string(AuditEvent([]byte(in + "\n")))
			if diff := cmp.Diff(want+"\n", got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("not JSON: %s", got)
			}
		})
	}
}
