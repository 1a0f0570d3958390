package redact

import "testing"

func TestObjectTypes(t *testing.T) {
	t.Parallel()
	testObjects(t, []objectTest{
		{
			name: "oauthclient secrets",
			in: `apiVersion: oauth.openshift.io/v1
kind: OAuthClient
metadata:
  name: console
secret: s3cret
additionalSecrets: [old1, "", old2]
redirectURIs: ["https://console.example.com/auth/callback"]
grantMethod: auto
`,
			want: `apiVersion: oauth.openshift.io/v1
kind: OAuthClient
metadata:
  name: console
secret: REDACTED
additionalSecrets: [REDACTED, "", REDACTED]
redirectURIs: ["https://console.example.com/auth/callback"]
grantMethod: auto
`,
			elided: []string{"oauthclient.additionalSecrets old1", "oauthclient.additionalSecrets old2", "oauthclient.secret s3cret"},
		},
		{
			name: "a kind of another group named OAuthClient is not touched",
			in: `apiVersion: example.com/v1
kind: OAuthClient
secret: kept
`,
			want: `apiVersion: example.com/v1
kind: OAuthClient
secret: kept
`,
			elided: []string{},
		},
		{
			name: "buildconfig webhook secrets",
			in: `apiVersion: build.openshift.io/v1
kind: BuildConfig
spec:
  triggers:
  - type: GitHub
    github:
      secret: gh-hook
  - type: Generic
    generic:
      secret: gen-hook
      allowEnv: true
  - type: GitLab
    gitlab:
      secretReference: {name: hook-secret}
  - type: Bitbucket
    bitbucket:
      secret: bb-hook
  - type: ConfigChange
`,
			want: `apiVersion: build.openshift.io/v1
kind: BuildConfig
spec:
  triggers:
  - type: GitHub
    github:
      secret: REDACTED
  - type: Generic
    generic:
      secret: REDACTED
      allowEnv: true
  - type: GitLab
    gitlab:
      secretReference: {name: hook-secret}
  - type: Bitbucket
    bitbucket:
      secret: REDACTED
  - type: ConfigChange
`,
			elided: []string{"buildconfig.webhook.secret bb-hook", "buildconfig.webhook.secret gen-hook", "buildconfig.webhook.secret gh-hook"},
		},
		{
			name: "a legacy v1 buildconfig in a template",
			in: `apiVersion: v1
kind: Template
objects:
- apiVersion: v1
  kind: BuildConfig
  spec:
    triggers:
    - github: {secret: gh-hook}
`,
			want: `apiVersion: v1
kind: Template
objects:
- apiVersion: v1
  kind: BuildConfig
  spec:
    triggers:
    - github: {secret: REDACTED}
`,
			elided: []string{"buildconfig.webhook.secret gh-hook"},
		},
		{
			name: "build webhook causes",
			in: `apiVersion: build.openshift.io/v1
kind: Build
spec:
  triggeredBy:
  - message: GitHub WebHook
    githubWebHook:
      secret: gh-hook
`,
			want: `apiVersion: build.openshift.io/v1
kind: Build
spec:
  triggeredBy:
  - message: GitHub WebHook
    githubWebHook:
      secret: REDACTED
`,
			elided: []string{"build.webhook.secret gh-hook"},
		},
		{
			name: "a kubeconfig in a configmap",
			in: `apiVersion: v1
kind: ConfigMap
data:
  kubeconfig: |
    apiVersion: v1
    kind: Config
    clusters:
    - name: c
      cluster: {server: "https://api:6443", certificate-authority-data: Q0E=}
    users:
    - name: admin
      user:
        client-certificate-data: Q0VSVA==
        client-key-data: S0VZ
    - name: sa
      user:
        token: "sha256~abc"
        tokenFile: /var/run/token
    - name: basic
      user: {username: admin, password: 'p w'}
  other: |
    token: kept, not a kubeconfig
`,
			want: `apiVersion: v1
kind: ConfigMap
data:
  kubeconfig: |
    apiVersion: v1
    kind: Config
    clusters:
    - name: c
      cluster: {server: "https://api:6443", certificate-authority-data: Q0E=}
    users:
    - name: admin
      user:
        client-certificate-data: Q0VSVA==
        client-key-data: REDACTED
    - name: sa
      user:
        token: "REDACTED"
        tokenFile: /var/run/token
    - name: basic
      user: {username: admin, password: 'REDACTED'}
  other: |
    token: REDACTED, not a kubeconfig
`,
			elided: []string{"configmap.kubeconfig S0VZ", "configmap.kubeconfig p w", "configmap.kubeconfig sha256~abc"},
		},
		{
			name: "configuration files in a configmap get the line rules",
			in: `apiVersion: v1
kind: ConfigMap
data:
  application.properties: |
    db.url=jdbc:postgresql://db:5432/app
    db.user=app
    db.password=hunter2-app
    cache.size=100
  config.yaml: |
    upstream:
      url: https://bot:ghp-secret-1@git.example.com/org/repo
      headers:
        Authorization: Bearer abcdefghij0123456789
    tls:
      key: |
        -----BEGIN EC PRIVATE KEY-----
        MHcCAQEEIBb3
        -----END EC PRIVATE KEY-----
  plain.txt: nothing to see
`,
			want: `apiVersion: v1
kind: ConfigMap
data:
  application.properties: |
    db.url=jdbc:postgresql://db:5432/app
    db.user=app
    db.password=REDACTED
    cache.size=100
  config.yaml: |
    upstream:
      url: https://bot:REDACTED@git.example.com/org/repo
      headers:
        Authorization: Bearer REDACTED
    tls:
      key: |
        -----BEGIN EC PRIVATE KEY-----
        REDACTED
        -----END EC PRIVATE KEY-----
  plain.txt: nothing to see
`,
			elided: []string{"url.credentials ghp-secret-1"},
		},
	})
}

func TestMaskKubeconfig(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{
			name: "json",
			in:   `{"kind":"Config","users":[{"name":"u","user":{"token":"abc","client-key-data":"S0VZ"}}]}`,
			want: `{"kind":"Config","users":[{"name":"u","user":{"token":"REDACTED","client-key-data":"REDACTED"}}]}`,
		},
		{
			name: "oidc auth provider",
			in: `users:
- name: oidc
  user:
    auth-provider:
      name: oidc
      config:
        client-id: console
        client-secret: cs
        id-token: eyJ.x.y
        refresh-token: rt
`,
			want: `users:
- name: oidc
  user:
    auth-provider:
      name: oidc
      config:
        client-id: console
        client-secret: REDACTED
        id-token: REDACTED
        refresh-token: REDACTED
`,
		},
		{
			name: "empty values and paths stay",
			in:   "users:\n- user:\n    token: \"\"\n    tokenFile: /t\n    client-key: /k\n",
			want: "users:\n- user:\n    token: \"\"\n    tokenFile: /t\n    client-key: /k\n",
		},
	}
	for _, tc := range tests {
		var w walker
		if !isKubeconfig(tc.in) {
			t.Errorf("%s: not taken for a kubeconfig", tc.name)
		}
		if got := w.maskKubeconfig(tc.in); got != tc.want {
			t.Errorf("%s: maskKubeconfig =\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}
