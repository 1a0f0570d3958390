package redact

import (
	"io"
	"strings"
)

// The rules of single types other than Secret (object.go). Each names its
// source: oc adm inspect's rule, or the field's own API documentation.

// route is oc adm inspect's elideRoute (pkg/cli/admin/inspect/route.go):
// spec.tls.key is blanked; the certificates are public.
func (w *walker) route(obj map[string]any) {
	spec, _ := obj["spec"].(map[string]any)
	tls, _ := spec["tls"].(map[string]any)
	if v, ok := tls["key"]; ok {
		if s, _ := v.(string); s != "" {
			w.elide("route.tls.key", s)
		}
		tls["key"] = ""
	}
}

// oauthClient: not in oc adm inspect (it writes OAuthClients as they are);
// openshift/api oauth/v1 types.go documents secret as "the unique secret
// associated with a client" and additionalSecrets as "other secrets that may
// be used to identify the client".
func (w *walker) oauthClient(obj map[string]any) {
	w.maskField(obj, "secret", "oauthclient.secret")
	if l, ok := obj["additionalSecrets"].([]any); ok {
		for i, v := range l {
			if s, ok := v.(string); ok && s != "" {
				w.elide("oauthclient.additionalSecrets", s)
				l[i] = Masked
			}
		}
	}
}

// configMap: a kubeconfig kept in a ConfigMap (a mistake, but a common one)
// carries a user's credentials; oc writes it as it is. Any other value is
// often a configuration file (application.properties, config.yaml) whose
// password=, Authorization and private key lines the line rules know: they
// apply to it, line by line, as to a log.
func (w *walker) configMap(obj map[string]any) {
	data, _ := obj["data"].(map[string]any)
	for k, v := range data {
		s, ok := v.(string)
		switch {
		case !ok:
		case isKubeconfig(s):
			data[k] = w.maskKubeconfig(s)
		default:
			if r := linesOf(s); r != s {
				data[k] = r
				w.elided++ // no value to record: the line rules do not say which
			}
		}
	}
}

// linesOf applies the line rules to a text of several lines (a PEM key
// spread over lines included), keeping whether it ends in a newline.
func linesOf(s string) string {
	if triggers([]byte(s)) == 0 {
		return s
	}
	var b strings.Builder
	lw := NewLineWriter(&b)
	_, _ = io.WriteString(lw, s)
	_ = lw.Close()
	return b.String()
}

// webhookTriggers are the BuildConfig trigger types that carry a secret
// (openshift/api build/v1 types.go, WebHookTrigger.secret: "secret used to
// validate requests").
var webhookTriggers = [...]string{"github", "generic", "gitlab", "bitbucket"}

// buildConfig: spec.triggers[].<webhook>.secret, which lets anyone who knows
// it start a build; oc writes it as it is.
func (w *walker) buildConfig(obj map[string]any) {
	spec, _ := obj["spec"].(map[string]any)
	triggers, _ := spec["triggers"].([]any)
	for _, t := range triggers {
		t, _ := t.(map[string]any)
		for _, typ := range webhookTriggers {
			if hook, ok := t[typ].(map[string]any); ok {
				w.maskField(hook, "secret", "buildconfig.webhook.secret")
			}
		}
	}
}

// webhookCauses are the Build trigger causes that carry the webhook's secret
// (openshift/api build/v1 types.go, BuildTriggerCause; documented as
// obfuscated, masked in case a server does not).
var webhookCauses = [...]string{"githubWebHook", "genericWebHook", "gitlabWebHook", "bitbucketWebHook"}

// build: spec.triggeredBy[].<cause>.secret.
func (w *walker) build(obj map[string]any) {
	spec, _ := obj["spec"].(map[string]any)
	causes, _ := spec["triggeredBy"].([]any)
	for _, c := range causes {
		c, _ := c.(map[string]any)
		for _, typ := range webhookCauses {
			if hook, ok := c[typ].(map[string]any); ok {
				w.maskField(hook, "secret", "build.webhook.secret")
			}
		}
	}
}

// maskField replaces m[field] with Masked when it is a non-empty string.
func (w *walker) maskField(m map[string]any, field, rule string) {
	if s, ok := m[field].(string); ok && s != "" {
		w.elide(rule, s)
		m[field] = Masked
	}
}
