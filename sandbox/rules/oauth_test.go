package rules

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
	"github.com/kensa-mail/kensa/sandbox/capture"
)

// Placeholder IDs as in detection.md §7.3; no real IdP is contacted.
const (
	oauthTestMSClient = "11111111-2222-3333-4444-555555555555"
	oauthTestGClient  = "123-abc.apps.googleusercontent.com"
	// oauthTestFriend is the "SNS friend request" case of detection.md §7.3.
	oauthTestFriend    = "https://accounts.google.com/o/oauth2/v2/auth?client_id=123-abc.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fsns.example%2Fcb&response_type=code&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcontacts.readonly%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fgmail.send&access_type=offline&prompt=consent"
	oauthTestFriendLow = "https://accounts.google.com/o/oauth2/v2/auth?client_id=123-abc.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fsns.example%2Fcb&response_type=code&scope=openid%20email%20profile&access_type=offline&prompt=consent"
	oauthTestMSHigh    = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=11111111-2222-3333-4444-555555555555&response_type=code&redirect_uri=https%3A%2F%2Ffriend-request.example%2Fcb&scope=openid%20offline_access%20Mail.Read%20Mail.Send%20Contacts.Read&prompt=consent"
	oauthTestMSLow     = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=11111111-2222-3333-4444-555555555555&response_type=code&redirect_uri=https%3A%2F%2Ffriend-request.example%2Fcb&scope=openid%20profile%20email%20User.Read&prompt=consent"
	oauthTestMSv1      = "https://login.microsoftonline.com/common/oauth2/authorize?client_id=11111111-2222-3333-4444-555555555555&response_type=code&resource=https%3A%2F%2Fgraph.microsoft.com"
	oauthTestDropbox   = "https://www.dropbox.com/oauth2/authorize?client_id=k&response_type=code&token_access_type=offline&redirect_uri=https://evil.example/cb"
)

// A case list calls ok once per URL that ParseOAuth must recognise:
// ok(url, provider, client_id, scopes space-joined, OAuthRisk), and no once
// per URL it must refuse. The lists feed the table tests and the fuzz seeds.
type oauthCaseList func(ok func(in, provider, client, scopes string, risk ScopeRisk), no func(in string))

var oauthCaseLists = []struct {
	name  string
	cases oauthCaseList
}{
	{"google", oauthGoogleCases},
	{"microsoft", oauthMicrosoftCases},
	{"github", oauthGitHubCases},
	{"facebook", oauthFacebookCases},
	{"yahoo-japan", oauthYahooJapanCases},
	{"yahoo", oauthYahooCases},
	{"line", oauthLINECases},
	{"apple", oauthAppleCases},
	{"slack", oauthSlackCases},
	{"dropbox", oauthDropboxCases},
	{"salesforce", oauthSalesforceCases},
	{"other", oauthOtherNegativeCases},
}

const oauthUnk = ScopeRiskUnknown

func oauthGoogleCases(ok func(in, provider, client, scopes string, risk ScopeRisk), no func(in string)) {
	const g, c = "google", oauthTestGClient
	const friendScopes = "https://www.googleapis.com/auth/contacts.readonly https://www.googleapis.com/auth/gmail.send"
	ok(oauthTestFriend, g, c, friendScopes, oauthHigh)
	ok(oauthTestFriendLow, g, c, "openid email profile", oauthLow)
	ok("https://accounts.google.com/o/oauth2/auth?client_id=x&scope=https://www.googleapis.com/auth/drive", g, "x", "https://www.googleapis.com/auth/drive", oauthHigh)
	ok("https://accounts.google.com/o/oauth2/auth/oauthchooseaccount?client_id=x&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fdrive.file&response_type=permission%20id_token", g, "x", "https://www.googleapis.com/auth/drive.file", oauthMed)
	ok("https://accounts.google.com/o/oauth2/v2/auth/oauthchooseaccount?client_id=x&scope=https://mail.google.com/", g, "x", "https://mail.google.com/", oauthHigh)
	ok("https://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=https://www.googleapis.com/auth/cloud-platform", g, "x", "https://www.googleapis.com/auth/cloud-platform", oauthHigh)
	ok("https://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=https://www.googleapis.com/auth/calendar.readonly", g, "x", "https://www.googleapis.com/auth/calendar.readonly", oauthMed)
	ok("https://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=https://www.googleapis.com/auth/photoslibrary", g, "x", "https://www.googleapis.com/auth/photoslibrary", oauthUnk)
	ok("https://accounts.google.com/o/oauth2/v2/auth?client_id=x&response_type=code", g, "x", "", oauthUnk)
	ok("https://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=openid+email+profile", g, "x", "openid email profile", oauthLow)
	ok("https://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=email%20email%20profile", g, "x", "email profile", oauthLow)
	// Double- and triple-encoded scope parameters.
	ok("https://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=https%253A%252F%252Fwww.googleapis.com%252Fauth%252Fgmail.readonly%2520openid", g, "x", "https://www.googleapis.com/auth/gmail.readonly openid", oauthHigh)
	ok("https://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=openid%252Bemail", g, "x", "openid email", oauthLow)
	ok("https://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=https%25253A%25252F%25252Fwww.googleapis.com%25252Fauth%25252Fcontacts", g, "x", "https://www.googleapis.com/auth/contacts", oauthHigh)
	// Lenient about everything but the host.
	ok("https://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=email%20profile&state=%zz%", g, "x", "email profile", oauthLow)
	ok("https://accounts.google.com/o/oauth2/v2/auth?Client_ID=x&SCOPE=email", g, "x", "email", oauthLow)
	ok("HTTPS://Accounts.Google.COM:443/o/oauth2/v2/auth?client_id=x&scope=email", g, "x", "email", oauthLow)
	ok("https://accounts.google.com./o/oauth2/v2/auth/?client_id=x&scope=email#frag", g, "x", "email", oauthLow)
	ok("https://someone@accounts.google.com/o//oauth2/v2/./auth?client_id=x&scope=email", g, "x", "email", oauthLow)
	ok("https://accounts.google.com/o/oauth2/%76%32/auth?client_id=x&scope=email", g, "x", "email", oauthLow)
	ok("https://ａｃｃｏｕｎｔｓ．google。com/o/oauth2/v2/auth?client_id=x&scope=email", g, "x", "email", oauthLow)
	ok("  https://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=email\n", g, "x", "email", oauthLow)
	ok("http://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=email", g, "x", "email", oauthLow)
	ok("https://accounts.google.com\\o\\oauth2\\v2\\auth?client_id=x&scope=email", g, "x", "email", oauthLow)
	no("https://accounts.google.com.evil.top/o/oauth2/v2/auth?client_id=x&scope=https://mail.google.com/")
	no("https://accounts-google.com/o/oauth2/v2/auth?client_id=x&scope=email")
	no("https://evil.top/accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=email")
	no("https://accounts.google.com@evil.top/o/oauth2/v2/auth?client_id=x&scope=email")
	no("https://accounts.google.com%2Eevil.top/o/oauth2/v2/auth?client_id=x&scope=email")
	no("https://accounts.google.com:8443/o/oauth2/v2/auth?client_id=x&scope=email")
	no("https://accounts.google.com/ServiceLogin?service=mail&continue=https://mail.google.com/mail/")
	no("https://accounts.google.com/ServiceLogin?continue=" + url.QueryEscape(oauthTestFriend)) // OAuthReasons reads it
	no("https://accounts.google.com/v3/signin/identifier?flowName=GlifWebSignIn")
	no("https://accounts.google.com/o/oauth2/token?client_id=x&scope=email")
	no("https://accounts.google.com/o/oauth2/v2/authx?client_id=x&scope=email")
	no("https://accounts.google.com/o/oauth2/v2/auth%3Fclient_id=x")
	no("https://www.google.com/o/oauth2/v2/auth?client_id=x&scope=email")
	no("ftp://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=email")
	no("accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=email")
	no("//accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=email")
}

func oauthMicrosoftCases(ok func(in, provider, client, scopes string, risk ScopeRisk), no func(in string)) {
	const v2, v1, ad, dc, c = "microsoft-v2", "microsoft-v1", "microsoft-adminconsent", "microsoft-devicecode", oauthTestMSClient
	// detection.md §7.3.
	ok(oauthTestMSHigh, v2, c, "openid offline_access Mail.Read Mail.Send Contacts.Read", oauthHigh)
	ok(oauthTestMSLow, v2, c, "openid profile email User.Read", oauthLow)
	ok(oauthTestMSv1, v1, c, "", oauthMed) // Graph, but the permissions are not in the link: at most suspicious
	ok("https://login.microsoftonline.com/organizations/v2.0/adminconsent?client_id=11111111-2222-3333-4444-555555555555&scope=https://graph.microsoft.com/.default&redirect_uri=https://x.example/cb", ad, c, "https://graph.microsoft.com/.default", oauthHigh)
	// More of v2.
	ok("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?client_id=c&scope=https%3A%2F%2Fgraph.microsoft.com%2FMail.Send", v2, "c", "https://graph.microsoft.com/Mail.Send", oauthHigh)
	ok("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/authorize?client_id=c&scope=Files.ReadWrite.All", v2, "c", "Files.ReadWrite.All", oauthHigh)
	ok("https://LOGIN.microsoftonline.com/Common/OAuth2/V2.0/Authorize?client_id=c&scope=User.Read", v2, "c", "User.Read", oauthLow)
	ok("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&scope=User.Read&prompt=admin_consent", v2, "c", "User.Read", oauthHigh)
	ok("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&scope=Calendars.Read%20offline_access", v2, "c", "Calendars.Read offline_access", oauthMed)
	ok("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&scope=Files.ReadWrite.AppFolder", v2, "c", "Files.ReadWrite.AppFolder", oauthMed)
	ok("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&scope=Mail.ReadBasic", v2, "c", "Mail.ReadBasic", oauthMed)
	ok("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&scope=api%3A%2F%2F0000%2Faccess_as_user", v2, "c", "api://0000/access_as_user", oauthUnk)
	ok("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&scope=openid%2520offline_access%2520Mail.Read", v2, "c", "openid offline_access Mail.Read", oauthHigh)
	ok("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&scope=https://management.azure.com//user_impersonation", v2, "c", "https://management.azure.com//user_impersonation", oauthHigh)
	ok("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&scope=Directory.ReadWrite.All", v2, "c", "Directory.ReadWrite.All", oauthHigh)
	// ConsentFix (R12): first-party Azure CLI with a localhost redirect.
	ok("https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A8400&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default+offline_access+openid+profile", v2, "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "https://graph.microsoft.com/.default offline_access openid profile", oauthHigh)
	ok("https://login.windows.net/common/oauth2/v2.0/authorize?client_id=c&scope=Contacts.Read", v2, "c", "Contacts.Read", oauthHigh)
	ok("https://login.microsoft.com/common/oauth2/v2.0/authorize?client_id=c&scope=openid", v2, "c", "openid", oauthLow)
	ok("https://login.microsoftonline.us/common/oauth2/v2.0/authorize?client_id=c&scope=Notes.Read", v2, "c", "Notes.Read", oauthHigh)
	ok("https://login.live.com/oauth20_authorize.srf?client_id=c&scope=Files.ReadWrite%20offline_access&response_type=code", v2, "c", "Files.ReadWrite offline_access", oauthHigh)
	ok("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c", v2, "c", "", oauthUnk)
	// v1: resource instead of scope.
	ok("https://login.microsoftonline.com/common/oauth2/authorize?client_id=c&resource=https%253A%252F%252Foutlook.office365.com%252F", v1, "c", "", oauthMed)
	ok("https://login.microsoftonline.com/common/oauth2/authorize?client_id=c&resource=00000002-0000-0000-c000-000000000000", v1, "c", "", oauthMed)
	ok("https://login.windows.net/contoso.com/oauth2/authorize?client_id=c&resource=https://contoso-my.sharepoint.com", v1, "c", "", oauthMed)
	ok("https://login.microsoftonline.com/common/oauth2/authorize?client_id=c&resource=https%3A%2F%2Fapi.contoso.example", v1, "c", "", oauthUnk)
	ok("https://login.microsoftonline.com/common/oauth2/authorize?client_id=c&response_type=code", v1, "c", "", oauthUnk)
	ok("https://login.microsoftonline.com/common/oauth2/authorize?client_id=c&resource=https://graph.microsoft.com&prompt=admin_consent", v1, "c", "", oauthHigh)
	// Admin consent.
	ok("https://login.microsoftonline.com/common/adminconsent?client_id=c&redirect_uri=https://x.example/cb", ad, "c", "", oauthHigh)
	ok("https://login.partner.microsoftonline.cn/common/v2.0/adminconsent?client_id=c&scope=Mail.Read", ad, "c", "Mail.Read", oauthHigh)
	// Device code.
	ok("https://microsoft.com/devicelogin", dc, "", "", oauthHigh)
	ok("https://www.microsoft.com/devicelogin", dc, "", "", oauthHigh)
	ok("https://www.microsoft.com/DeviceLogin/", dc, "", "", oauthHigh)
	ok("https://aka.ms/devicelogin", dc, "", "", oauthHigh)
	ok("https://login.microsoftonline.com/common/oauth2/deviceauth", dc, "", "", oauthHigh)
	ok("https://login.microsoft.com/device", dc, "", "", oauthHigh)
	ok("https://login.live.com/oauth20_remoteconnect.srf?otc=ABCD1234", dc, "", "", oauthHigh)
	ok("https://www.microsoft.com/link", dc, "", "", oauthHigh)
	no("https://login.microsoftonline.com.evil.top/common/oauth2/v2.0/authorize?client_id=c&scope=Mail.Read")
	no("https://login-microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&scope=Mail.Read")
	no("https://microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&scope=Mail.Read")
	no("https://login.microsoftonline.com/oauth2/v2.0/authorize?client_id=c&scope=Mail.Read")
	no("https://login.microsoftonline.com/common/oauth2/v2.0/authorize/extra?client_id=c&scope=Mail.Read")
	no("https://login.microsoftonline.com/common/oauth2/v2.0/token")
	no("https://login.microsoftonline.com/common/oauth2/v2.0/logout")
	no("https://login.microsoftonline.com/common/login")
	no("https://login.microsoftonline.com/common/reprocess?ctx=x")
	no("https://login.microsoftonline.com/a%20b/oauth2/v2.0/authorize?client_id=c&scope=Mail.Read")
	no("https://login.live.com/login.srf")
	no("https://microsoft.com.evil.top/devicelogin")
	no("https://www.microsoft.com/en-us/microsoft-365")
	no("https://aka.ms/other")
}

func oauthGitHubCases(ok func(in, provider, client, scopes string, risk ScopeRisk), no func(in string)) {
	ok("https://github.com/login/oauth/authorize?client_id=abc&scope=repo%20admin:org&state=s", "github", "abc", "repo admin:org", oauthHigh) // §7.3
	ok("https://github.com/login/oauth/authorize?client_id=abc&scope=read:user%20user:email", "github", "abc", "read:user user:email", oauthLow)
	ok("https://github.com/login/oauth/authorize?client_id=abc&scope=public_repo", "github", "abc", "public_repo", oauthMed)
	ok("https://github.com/login/oauth/authorize?client_id=abc&scope=workflow,gist", "github", "abc", "workflow gist", oauthHigh)
	ok("https://www.github.com/login/oauth/authorize?client_id=abc&scope=delete_repo", "github", "abc", "delete_repo", oauthHigh)
	ok("https://github.com/login/oauth/authorize?client_id=Iv1.abc", "github", "Iv1.abc", "", oauthLow) // no scope: read-only public information, a sign-in
	no("https://github.com/login")
	no("https://github.com/login?client_id=abc&return_to=%2Flogin%2Foauth%2Fauthorize%3Fclient_id%3Dabc%26scope%3Drepo") // OAuthReasons reads it
	no("https://github.com/login/oauth/access_token?client_id=abc")
	no("https://gist.github.com/login/oauth/authorize?client_id=abc&scope=repo")
	no("https://github.com.evil.top/login/oauth/authorize?client_id=abc&scope=repo")
	no("https://github.io/login/oauth/authorize?client_id=abc&scope=repo")
}

func oauthFacebookCases(ok func(in, provider, client, scopes string, risk ScopeRisk), no func(in string)) {
	ok("https://www.facebook.com/v19.0/dialog/oauth?client_id=123&redirect_uri=https://evil.example/&state=s&scope=email,public_profile", "facebook", "123", "email public_profile", oauthLow)
	ok("https://www.facebook.com/v19.0/dialog/oauth?client_id=123&scope=pages_manage_posts%2Cpages_show_list", "facebook", "123", "pages_manage_posts pages_show_list", oauthHigh)
	ok("https://www.facebook.com/dialog/oauth?client_id=123&scope=user_friends", "facebook", "123", "user_friends", oauthMed)
	ok("https://m.facebook.com/v2/dialog/oauth?app_id=123&scope=ads_management", "facebook", "123", "ads_management", oauthHigh)
	ok("https://facebook.com/v21.0/dialog/oauth?client_id=123&config_id=9", "facebook", "123", "", oauthUnk)
	no("https://www.facebook.com/login.php?next=https%3A%2F%2Fwww.facebook.com%2F")
	no("https://www.facebook.com/latest/dialog/oauth?client_id=123&scope=email")
	no("https://www.facebook.com.evil.top/v19.0/dialog/oauth?client_id=123&scope=email")
	no("https://facebook-login.example/v19.0/dialog/oauth?client_id=123&scope=email")
}

func oauthYahooJapanCases(ok func(in, provider, client, scopes string, risk ScopeRisk), no func(in string)) {
	ok("https://auth.login.yahoo.co.jp/yconnect/v2/authorization?response_type=code&client_id=X&redirect_uri=https%3A%2F%2Fevil.example%2F&scope=openid+profile+email+address&state=s", "yahoo-japan", "X", "openid profile email address", oauthMed) // §7.3
	ok("https://auth.login.yahoo.co.jp/yconnect/v2/authorization?response_type=code&client_id=X&scope=openid", "yahoo-japan", "X", "openid", oauthLow)
	ok("https://auth.login.yahoo.co.jp/yconnect/v1/authorization?response_type=code&client_id=X&scope=openid+email&bail=1", "yahoo-japan", "X", "openid email", oauthLow)
	no("https://auth.login.yahoo.co.jp/yconnect/v2/token")
	no("https://login.yahoo.co.jp/config/login")
	no("https://auth.login.yahoo.co.jp.evil.top/yconnect/v2/authorization?client_id=X&scope=openid")
}

func oauthYahooCases(ok func(in, provider, client, scopes string, risk ScopeRisk), no func(in string)) {
	ok("https://api.login.yahoo.com/oauth2/request_auth?client_id=dj0y&redirect_uri=oob&response_type=code&scope=openid%20mail-r", "yahoo", "dj0y", "openid mail-r", oauthHigh)
	ok("https://api.login.yahoo.com/oauth2/request_auth?client_id=dj0y&response_type=code&scope=openid%20profile%20email", "yahoo", "dj0y", "openid profile email", oauthLow)
	no("https://login.yahoo.com/")
	no("https://api.login.yahoo.com/oauth2/get_token")
}

func oauthLINECases(ok func(in, provider, client, scopes string, risk ScopeRisk), no func(in string)) {
	ok("https://access.line.me/oauth2/v2.1/authorize?response_type=code&client_id=1234567890&redirect_uri=https%3A%2F%2Fevil.example%2Fauth&state=s&scope=openid%20profile%20email", "line", "1234567890", "openid profile email", oauthLow) // §7.3
	ok("https://access.line.me/oauth2/v2.1/authorize?response_type=code&client_id=1234567890&scope=profile%20openid&bot_prompt=aggressive", "line", "1234567890", "profile openid", oauthLow)
	ok("https://access.line.me/dialog/oauth/weblogin?response_type=code&client_id=1234567890&redirect_uri=https://evil.example/&state=s", "line", "1234567890", "", oauthUnk)
	no("https://access.line.me/oauth2/v2.1/login")
	no("https://line.me/R/ti/p/@example")
	no("https://access.line.me.evil.top/oauth2/v2.1/authorize?client_id=1&scope=openid")
}

func oauthAppleCases(ok func(in, provider, client, scopes string, risk ScopeRisk), no func(in string)) {
	ok("https://appleid.apple.com/auth/authorize?client_id=com.example.web&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&response_type=code%20id_token&scope=name%20email&response_mode=form_post&state=s", "apple", "com.example.web", "name email", oauthLow)
	ok("https://appleid.apple.com/auth/authorize?client_id=com.example.web&response_type=code", "apple", "com.example.web", "", oauthLow)
	no("https://appleid.apple.com/sign-in")
	no("https://appleid.apple.com.evil.top/auth/authorize?client_id=x&scope=name")
	no("https://apple.com/auth/authorize?client_id=x&scope=name")
}

func oauthSlackCases(ok func(in, provider, client, scopes string, risk ScopeRisk), no func(in string)) {
	ok("https://slack.com/oauth/v2/authorize?client_id=1.2&scope=chat:write,channels:read&user_scope=channels:history", "slack", "1.2", "chat:write channels:read channels:history", oauthHigh)
	ok("https://slack.com/oauth/v2/authorize?client_id=1.2&user_scope=users:read.email", "slack", "1.2", "users:read.email", oauthHigh)
	ok("https://slack.com/oauth/v2/authorize?client_id=1.2&scope=commands,incoming-webhook", "slack", "1.2", "commands incoming-webhook", oauthMed)
	ok("https://slack.com/openid/connect/authorize?client_id=1.2&response_type=code&scope=openid%20profile%20email", "slack", "1.2", "openid profile email", oauthLow)
	ok("https://slack.com/oauth/authorize?client_id=1.2&scope=identify", "slack", "1.2", "identify", oauthLow)
	ok("https://slack.com/oauth/authorize?client_id=1.2&scope=client", "slack", "1.2", "client", oauthHigh)
	no("https://slack.com/signin")
	no("https://slack.com/api/oauth.v2.access")
	no("https://slack.com.evil.top/oauth/v2/authorize?client_id=1&scope=chat:write")
}

func oauthDropboxCases(ok func(in, provider, client, scopes string, risk ScopeRisk), no func(in string)) {
	ok(oauthTestDropbox, "dropbox", "k", "", oauthMed) // §7.3: scopes in the app config
	ok("https://www.dropbox.com/oauth2/authorize?client_id=k&response_type=code", "dropbox", "k", "", oauthUnk)
	ok("https://www.dropbox.com/oauth2/authorize?client_id=k&response_type=code&scope=files.content.read%20account_info.read", "dropbox", "k", "files.content.read account_info.read", oauthHigh)
	ok("https://www.dropbox.com/1/oauth2/authorize?client_id=k&response_type=code&scope=files.content.write", "dropbox", "k", "files.content.write", oauthHigh)
	ok("https://dropbox.com/oauth2/authorize?client_id=k&scope=account_info.read&token_access_type=offline", "dropbox", "k", "account_info.read", oauthLow)
	ok("https://www.dropbox.com/oauth2/authorize?client_id=k&scope=files.metadata.read&token_access_type=offline", "dropbox", "k", "files.metadata.read", oauthMed)
	no("https://www.dropbox.com/login")
	no("https://api.dropboxapi.com/oauth2/token")
	no("https://www.dropbox.com.evil.top/oauth2/authorize?client_id=k")
}

func oauthSalesforceCases(ok func(in, provider, client, scopes string, risk ScopeRisk), no func(in string)) {
	ok("https://login.salesforce.com/services/oauth2/authorize?response_type=code&client_id=k&redirect_uri=https://evil.example/cb&scope=full%20refresh_token", "salesforce", "k", "full refresh_token", oauthHigh) // §7.3
	ok("https://test.salesforce.com/services/oauth2/authorize?response_type=code&client_id=k&scope=api", "salesforce", "k", "api", oauthHigh)
	ok("https://acme.my.salesforce.com/services/oauth2/authorize?response_type=code&client_id=k&scope=id%20openid%20refresh_token", "salesforce", "k", "id openid refresh_token", oauthLow)
	ok("https://acme--uat.sandbox.my.salesforce.com/services/oauth2/authorize?response_type=code&client_id=k&scope=chatter_api", "salesforce", "k", "chatter_api", oauthMed)
	no("https://my.salesforce.com/services/oauth2/authorize?client_id=k&scope=full")
	no("https://acme.my.salesforce.com.evil.top/services/oauth2/authorize?client_id=k&scope=full")
	no("https://evil-my.salesforce.com.example/services/oauth2/authorize?client_id=k&scope=full")
	no("https://login.salesforce.com/services/oauth2/token")
	no("https://login.salesforce.com/")
}

func oauthOtherNegativeCases(_ func(in, provider, client, scopes string, risk ScopeRisk), no func(in string)) {
	no("")
	no("https:")
	no("https://")
	no("https:///o/oauth2/v2/auth")
	no("javascript:alert(1)")
	no("data:text/html,https://accounts.google.com/o/oauth2/v2/auth")
	no("https://127.0.0.1/o/oauth2/v2/auth?client_id=x&scope=email")
	no("https://[::1]/o/oauth2/v2/auth?client_id=x&scope=email")
	no("https://example.com/o/oauth2/v2/auth?client_id=x&scope=email")
	no("https://example.com/?next=" + url.QueryEscape(oauthTestFriend))
	no("https://xn--ccounts-9ya.google.com/o/oauth2/v2/auth?client_id=x&scope=email")
}

// TestParseOAuth runs every case list: the recognised URLs with their
// provider, client, scopes and overall risk, and the refused ones.
func TestParseOAuth(t *testing.T) {
	for _, cl := range oauthCaseLists {
		t.Run(cl.name, func(t *testing.T) {
			ok := func(in, provider, client, scopes string, risk ScopeRisk) {
				t.Helper()
				r, got := ParseOAuth(in)
				if !got {
					t.Errorf("ParseOAuth(%q) = false, want %s", in, provider)
					return
				}
				if r.Provider != provider || r.ClientID != client || strings.Join(r.Scopes, " ") != scopes {
					t.Errorf("ParseOAuth(%q)\n got %s %q %q\nwant %s %q %q", in, r.Provider, r.ClientID, strings.Join(r.Scopes, " "), provider, client, scopes)
				}
				if got := OAuthRisk(r); got != risk {
					t.Errorf("OAuthRisk(%q) = %s, want %s (%+v)", in, got, risk, RateScopes(r))
				}
			}
			no := func(in string) {
				t.Helper()
				if r, got := ParseOAuth(in); got {
					t.Errorf("ParseOAuth(%q) = %+v, want false", in, r)
				}
			}
			cl.cases(ok, no)
		})
	}
}

// Every endpoint in the table has at least one positive case.
func TestOAuthEndpointsCovered(t *testing.T) {
	covered := map[string]bool{}
	for _, cl := range oauthCaseLists {
		cl.cases(func(in, _, _, _ string, _ ScopeRisk) {
			u, _ := oauthParseURL(in)
			if e, _, ok := oauthMatch(u); ok {
				covered[e.provider+" "+e.path] = true
			}
		}, func(string) {})
	}
	providers := map[string]bool{}
	for _, e := range oauthEndpoints {
		providers[e.provider] = true
		if !covered[e.provider+" "+e.path] {
			t.Errorf("no test case for %s %s", e.provider, e.path)
		}
	}
	for _, p := range []string{"google", "microsoft-v2", "microsoft-v1", "microsoft-adminconsent", "microsoft-devicecode", "github", "facebook", "yahoo-japan", "yahoo", "line", "apple", "slack", "dropbox", "salesforce"} {
		if !providers[p] {
			t.Errorf("provider %s has no endpoint", p)
		}
	}
}

func TestParseOAuthFields(t *testing.T) {
	check := func(in string, want OAuthRequest) {
		t.Helper()
		got, ok := ParseOAuth(in)
		if !ok || got.Provider != want.Provider || got.Endpoint != want.Endpoint || got.RedirectURI != want.RedirectURI ||
			got.Prompt != want.Prompt || got.Tenant != want.Tenant || got.Resource != want.Resource ||
			got.AdminConsent != want.AdminConsent || got.Offline != want.Offline {
			t.Errorf("ParseOAuth(%q)\n got %+v %v\nwant %+v", in, got, ok, want)
		}
	}
	check(oauthTestFriend, OAuthRequest{Provider: "google", Endpoint: "https://accounts.google.com/o/oauth2/v2/auth", RedirectURI: "https://sns.example/cb", Prompt: "consent", Offline: true})
	check(oauthTestMSHigh, OAuthRequest{Provider: "microsoft-v2", Endpoint: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize", RedirectURI: "https://friend-request.example/cb", Prompt: "consent", Tenant: "common", Offline: true})
	check(oauthTestMSv1, OAuthRequest{Provider: "microsoft-v1", Endpoint: "https://login.microsoftonline.com/common/oauth2/authorize", Tenant: "common", Resource: "https://graph.microsoft.com"})
	check("https://login.microsoftonline.com/organizations/v2.0/adminconsent?client_id=c&scope=https://graph.microsoft.com/.default&redirect_uri=https://x.example/cb", OAuthRequest{Provider: "microsoft-adminconsent", Endpoint: "https://login.microsoftonline.com/organizations/v2.0/adminconsent", RedirectURI: "https://x.example/cb", Tenant: "organizations", AdminConsent: true})
	check("https://login.microsoftonline.com/Contoso.OnMicrosoft.com/OAuth2/v2.0/authorize?client_id=c&prompt=admin_consent", OAuthRequest{Provider: "microsoft-v2", Endpoint: "https://login.microsoftonline.com/Contoso.OnMicrosoft.com/OAuth2/v2.0/authorize", Prompt: "admin_consent", Tenant: "Contoso.OnMicrosoft.com", AdminConsent: true})
	check("https://login.live.com/oauth20_authorize.srf?client_id=c&scope=User.Read", OAuthRequest{Provider: "microsoft-v2", Endpoint: "https://login.live.com/oauth20_authorize.srf", Tenant: "consumers"})
	check(oauthTestDropbox, OAuthRequest{Provider: "dropbox", Endpoint: "https://www.dropbox.com/oauth2/authorize", RedirectURI: "https://evil.example/cb", Offline: true})
	check("https://accounts.google.com/o/oauth2/auth?client_id=x&approval_prompt=force", OAuthRequest{Provider: "google", Endpoint: "https://accounts.google.com/o/oauth2/auth", Prompt: "force"})
	check("https://www.facebook.com/v19.0/dialog/oauth?client_id=1&auth_type=rerequest", OAuthRequest{Provider: "facebook", Endpoint: "https://www.facebook.com/v19.0/dialog/oauth", Prompt: "rerequest"})
	check("HTTP://User:Pw@WWW.Facebook.COM:80/V19.0/dialog//oauth/?client_id=1", OAuthRequest{Provider: "facebook", Endpoint: "http://www.facebook.com/V19.0/dialog/oauth"})
}

func TestRateScopes(t *testing.T) {
	// check(url, scope, want risk, want JA, want EN); "" JA/EN are not checked.
	check := func(in, scope string, risk ScopeRisk, ja, en string) {
		t.Helper()
		r, ok := ParseOAuth(in)
		if !ok {
			t.Fatalf("ParseOAuth(%q) = false", in)
		}
		infos := RateScopes(r)
		i := slices.IndexFunc(infos, func(si ScopeInfo) bool { return si.Scope == scope })
		if i < 0 {
			t.Errorf("RateScopes(%q) has no %q: %+v", in, scope, infos)
			return
		}
		got := infos[i]
		if got.Risk != risk || ja != "" && got.JA != ja || en != "" && got.EN != en {
			t.Errorf("RateScopes(%q)[%q] = %+v, want %s %q %q", in, scope, got, risk, ja, en)
		}
	}
	const ms = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&scope="
	const g = "https://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope="
	check(oauthTestFriend, "https://www.googleapis.com/auth/contacts.readonly", oauthHigh, "連絡先の読み取り", "read your contacts")
	check(oauthTestFriend, "https://www.googleapis.com/auth/gmail.send", oauthHigh, "メール送信", "send mail as you")
	check(oauthTestFriend, "(offline)", oauthHigh, "", "")
	check(oauthTestFriendLow, "(offline)", oauthLow, "", "")
	check(oauthTestMSHigh, "offline_access", oauthHigh, "", "")
	check(oauthTestMSHigh, "Mail.Send", oauthHigh, "あなたになりすましたメール送信", "send mail as you")
	check(oauthTestMSLow, "User.Read", oauthLow, "", "read your profile")
	check(ms+"offline_access%20User.Read", "offline_access", oauthLow, "", "")
	check(ms+"offline_access%20Calendars.Read", "offline_access", oauthMed, "", "")
	check(ms+"offline_access%20Foo.Bar", "offline_access", oauthMed, "", "")
	check(ms+"offline_access", "offline_access", oauthLow, "", "")
	check(ms+"Foo.Bar", "Foo.Bar", oauthUnk, "「Foo.Bar」という権限（内容は不明）", "use a permission called “Foo.Bar” (meaning unknown)")
	check(ms+"MAIL.READ", "MAIL.READ", oauthHigh, "メールの読み取り", "read your mail")
	check(ms+"Mail.ReadWrite.Shared", "Mail.ReadWrite.Shared", oauthHigh, "", "read and change your mail (deleting too)")
	check(ms+"00000003-0000-0000-c000-000000000000%2FMailboxSettings.ReadWrite", "00000003-0000-0000-c000-000000000000/MailboxSettings.ReadWrite", oauthHigh, "", "")
	check(ms+"https://outlook.office.com/EWS.AccessAsUser.All", "https://outlook.office.com/EWS.AccessAsUser.All", oauthHigh, "", "")
	check(ms+"User.ReadWrite.All", "User.ReadWrite.All", oauthHigh, "", "change data across your whole organisation")
	check(ms+"Calendars.ReadWrite.All", "Calendars.ReadWrite.All", oauthHigh, "", "")
	check(ms+"People.Read", "People.Read", oauthHigh, "", "")
	check(g+"https://www.googleapis.com/auth/foo", "https://www.googleapis.com/auth/foo", oauthUnk, "", "")
	check(g+"https://www.googleapis.com/auth/userinfo.email", "https://www.googleapis.com/auth/userinfo.email", oauthLow, "", "")
	check(g+"gmail.readonly", "gmail.readonly", oauthHigh, "", "read your mail") // short form
	check(g+"https://www.googleapis.com/auth/drive.appdata", "https://www.googleapis.com/auth/drive.appdata", oauthMed, "", "")
	check(g+"https://www.google.com/m8/feeds/", "https://www.google.com/m8/feeds/", oauthHigh, "", "read and change your contacts")
	check(oauthTestMSv1, "(resource) https://graph.microsoft.com", oauthMed, "", "access Microsoft Graph (mail, files, contacts and more) with permissions the link does not show")
	check("https://login.microsoftonline.com/common/oauth2/authorize?client_id=c&resource=https://api.contoso.example/", "(resource) https://api.contoso.example/", oauthUnk, "", "")
	check("https://login.microsoftonline.com/common/adminconsent?client_id=c", "(admin consent)", oauthHigh, "", "")
	check("https://login.microsoftonline.com/common/adminconsent?client_id=c", "(app-configured)", oauthUnk, "", "")
	check("https://microsoft.com/devicelogin", "(device code)", oauthHigh, "", "")
	check(oauthTestDropbox, "(app-configured)", oauthUnk, "", "")
	check(oauthTestDropbox, "(offline)", oauthMed, "", "")
	check("https://appleid.apple.com/auth/authorize?client_id=a", "(none)", oauthLow, "", "")
	check("https://auth.login.yahoo.co.jp/yconnect/v2/authorization?client_id=X&scope=openid+address", "address", oauthMed, "住所の確認", "see your postal address")
	check("https://slack.com/oauth/v2/authorize?client_id=1&scope=im:history", "im:history", oauthHigh, "", "")
	check("https://slack.com/oauth/v2/authorize?client_id=1&scope=users:read", "users:read", oauthMed, "", "")
	check("https://www.facebook.com/v19.0/dialog/oauth?client_id=1&scope=instagram_manage_messages", "instagram_manage_messages", oauthHigh, "", "")
}

// Every rule of the table is reachable (not shadowed by an earlier rule
// of its table) and complete.
func TestOAuthScopeTable(t *testing.T) {
	families := map[string]bool{}
	for _, tb := range oauthScopeTables {
		if families[tb.family] {
			t.Errorf("family %q twice", tb.family)
		}
		families[tb.family] = true
		for _, rule := range tb.rules {
			if rule.ja == "" || rule.en == "" || rule.src == "" {
				t.Errorf("%s %s: missing text or source", tb.family, rule.pattern)
			}
			if rule.risk != ScopeRiskLow && rule.risk != ScopeRiskMedium && rule.risk != ScopeRiskHigh {
				t.Errorf("%s %s: risk %q", tb.family, rule.pattern, rule.risk)
			}
			if strings.Count(rule.pattern, "*") > 1 || strings.Contains(strings.Trim(rule.pattern, "*"), "*") {
				t.Errorf("%s %s: wildcard only at one end", tb.family, rule.pattern)
			}
			if oauthCommaOutsideParens(rule.en) {
				t.Errorf("%s %s: %q has a comma outside parentheses (explanations join items with commas)", tb.family, rule.pattern, rule.en)
			}
			sample := strings.ReplaceAll(rule.pattern, "*", "X")
			got, ok := oauthLookupScope(tb.family, sample)
			if !ok || got.pattern != rule.pattern {
				t.Errorf("%s %s: sample %q is rated by %q", tb.family, rule.pattern, sample, got.pattern)
			}
		}
	}
	for _, e := range oauthEndpoints {
		if f := oauthFamily(e.provider); !families[f] && f != "yahoo-japan" && f != "line" {
			t.Errorf("provider %s has no scope table", e.provider)
		}
		if _, ok := oauthProviderNames[oauthFamily(e.provider)]; !ok {
			t.Errorf("provider %s has no display name", e.provider)
		}
	}
}

// oauthCommaOutsideParens reports whether s has a comma outside (...).
func oauthCommaOutsideParens(s string) bool {
	depth := 0
	for _, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				return true
			}
		}
	}
	return false
}

func TestOAuthReasons(t *testing.T) {
	// check(chain, policy, want "code/level" per reason).
	check := func(chain []string, p OAuthPolicy, want ...string) []verdict.Reason {
		t.Helper()
		rs := OAuthReasons(chain, p)
		var got []string
		for _, r := range rs {
			got = append(got, string(r.Code)+"/"+string(r.Level))
		}
		if !slices.Equal(got, want) {
			t.Errorf("OAuthReasons(%q) = %v, want %v", chain, got, want)
		}
		for _, r := range rs {
			oauthCheckReason(t, r)
		}
		return rs
	}
	none := OAuthPolicy{}
	const high, consent = "oauth-high-risk/malicious", "oauth-consent/"
	allowG := OAuthPolicy{AllowedClients: map[string]bool{"google:" + oauthTestGClient: true}}
	allowMS := OAuthPolicy{AllowedClients: map[string]bool{"microsoft:" + strings.ToUpper(oauthTestMSClient): true}}
	allowV2 := OAuthPolicy{AllowedClients: map[string]bool{"microsoft-v2:" + oauthTestMSClient: true}}
	allowOff := OAuthPolicy{AllowedClients: map[string]bool{"google:" + oauthTestGClient: false}}
	serviceLogin := "https://accounts.google.com/ServiceLogin?continue=" + url.QueryEscape(oauthTestFriend)
	chooser := strings.Replace(oauthTestFriend, "/o/oauth2/v2/auth?", "/o/oauth2/auth/oauthchooseaccount?", 1)

	check(nil, none)
	check([]string{"https://example.com/", "https://accounts.google.com/ServiceLogin"}, none)
	check([]string{oauthTestFriend}, none, high)
	check([]string{oauthTestFriendLow}, none, consent+"clean")
	check([]string{oauthTestMSHigh}, none, high)
	check([]string{oauthTestMSLow}, none, consent+"clean")
	check([]string{oauthTestMSv1}, none, consent+"suspicious")
	check([]string{oauthTestDropbox}, none, consent+"suspicious")
	check([]string{"https://github.com/login/oauth/authorize?client_id=Iv1.abc"}, none, consent+"clean")
	check([]string{"https://auth.login.yahoo.co.jp/yconnect/v2/authorization?response_type=code&client_id=X&redirect_uri=https%3A%2F%2Fevil.example%2F&scope=openid+profile+email+address&state=s"}, none, consent+"suspicious")
	check([]string{"https://microsoft.com/devicelogin"}, none, high)
	check([]string{"https://microsoft.com/devicelogin"}, OAuthPolicy{AllowedClients: map[string]bool{"microsoft-devicecode:": true, "microsoft:": true}}, high)
	// Allowlisted apps are not malicious.
	check([]string{oauthTestFriend}, allowG, consent+"clean")
	check([]string{oauthTestFriend}, allowOff, high)
	check([]string{oauthTestMSHigh, oauthTestMSv1}, allowMS, consent+"clean", consent+"clean")
	check([]string{oauthTestMSHigh, oauthTestMSv1}, allowV2, consent+"clean", consent+"suspicious")
	check([]string{oauthTestFriend}, OAuthPolicy{AllowedClients: map[string]bool{"github:" + oauthTestGClient: true}}, high)
	// One reason per distinct request: repeated hops, the account chooser.
	check([]string{oauthTestFriend, oauthTestFriend, chooser}, none, high)
	check([]string{oauthTestFriend, oauthTestFriendLow, oauthTestMSHigh}, none, high, consent+"clean", high)
	// A link straight to the provider's sign-in page with the request in
	// its continuation parameter (nobody signs in inside the sandbox).
	rs := check([]string{serviceLogin}, none, high)
	if len(rs) == 1 && rs[0].Evidence["via"] == "" {
		t.Errorf("continuation not marked: %v", rs[0].Evidence)
	}
	check([]string{"https://accounts.google.com/ServiceLogin?continue=" + url.QueryEscape("https://accounts.google.com/AccountChooser?continue="+url.QueryEscape(oauthTestFriend))}, none, high)
	check([]string{"https://github.com/login?client_id=abc&return_to=%2Flogin%2Foauth%2Fauthorize%3Fclient_id%3Dabc%26scope%3Drepo"}, none, high)
	check([]string{"https://github.com/login?return_to=%2F%2Fevil.example%2Flogin%2Foauth%2Fauthorize%3Fclient_id%3Dabc%26scope%3Drepo"}, none)
	check([]string{"https://www.facebook.com/login.php?skip_api_login=1&next=" + url.QueryEscape("https://www.facebook.com/v19.0/dialog/oauth?client_id=1&scope=pages_manage_posts")}, none, high)
	check([]string{"https://accounts.google.com/ServiceLogin?continue=" + url.QueryEscape("https://github.com/login/oauth/authorize?client_id=abc&scope=repo")}, none)
	check([]string{"https://evil.example/?continue=" + url.QueryEscape(oauthTestFriend)}, none)
	check([]string{serviceLogin, oauthTestFriend}, none, high)
}

// A chain where the authorisation request is the third hop (detection.md
// §7.3: invite page, 302, JavaScript navigation to Google).
func TestOAuthReasonsChain(t *testing.T) {
	chain := []string{"https://sns-friend.example/invite?id=1", "https://r.example/x", oauthTestFriend, "https://accounts.google.com/v3/signin/identifier?flowName=GeneralOAuthFlow"}
	rs := OAuthReasons(chain, OAuthPolicy{})
	if len(rs) != 1 {
		t.Fatalf("OAuthReasons = %+v, want one reason", rs)
	}
	r := rs[0]
	if r.Code != verdict.CodeOAuthHighRisk || r.Level != verdict.Malicious || verdict.FromReasons(rs) != verdict.Malicious {
		t.Errorf("reason %s/%s", r.Code, r.Level)
	}
	wantEv := map[string]string{
		"provider":      "google",
		"client_id":     oauthTestGClient,
		"redirect_host": "sns.example",
		"scopes":        "https://www.googleapis.com/auth/contacts.readonly https://www.googleapis.com/auth/gmail.send",
		"prompt":        "consent",
		"hop":           "3",
		"endpoint":      "https://accounts.google.com/o/oauth2/v2/auth",
		"risk":          "high",
		"offline":       "true",
	}
	for k, v := range wantEv {
		if r.Evidence[k] != v {
			t.Errorf("evidence[%s] = %q, want %q", k, r.Evidence[k], v)
		}
	}
	const ja = "このリンクは Google の同意画面を開き、外部アプリ（client_id: 123-abc.apps.googleusercontent.com, 戻り先: sns.example）に連絡先の読み取り、メール送信と使っていない間も続くアクセスを許可させようとしています。許可しないでください。"
	const en = "This link opens Google's consent screen asking you to let an outside app (client_id: 123-abc.apps.googleusercontent.com, returns to: sns.example) read your contacts, send mail as you and keep access even when you are not using it. Do not allow it."
	if r.JA != ja || r.EN != en {
		t.Errorf("explanation\n got %s\n     %s\nwant %s\n     %s", r.JA, r.EN, ja, en)
	}
}

func TestOAuthExplanations(t *testing.T) {
	// check(url, policy, substrings the JA and EN texts must contain).
	check := func(in string, p OAuthPolicy, ja, en []string) {
		t.Helper()
		rs := OAuthReasons([]string{in}, p)
		if len(rs) != 1 {
			t.Fatalf("OAuthReasons(%q) = %+v", in, rs)
		}
		for _, s := range ja {
			if !strings.Contains(rs[0].JA, s) {
				t.Errorf("JA %q lacks %q", rs[0].JA, s)
			}
		}
		for _, s := range en {
			if !strings.Contains(rs[0].EN, s) {
				t.Errorf("EN %q lacks %q", rs[0].EN, s)
			}
		}
	}
	check(oauthTestMSHigh, OAuthPolicy{}, []string{"Microsoft", oauthTestMSClient, "friend-request.example", "メールの読み取り、あなたになりすましたメール送信、連絡先の読み取りと使っていない間も続くアクセス", "許可しないでください"},
		[]string{"read your mail, send mail as you, read your contacts and keep access", "Do not allow it."})
	check(oauthTestMSLow, OAuthPolicy{}, []string{"本人確認（サインイン）", "基本的な情報だけ"}, []string{"sign you in", "read your profile", "basic information"})
	check(oauthTestMSv1, OAuthPolicy{}, []string{"戻り先: 不明", "Microsoft Graph"}, []string{"returns to: not given", "the link does not show"})
	check(oauthTestDropbox, OAuthPolicy{}, []string{"evil.example", "アプリ側で設定された権限", "心当たりがなければ"}, []string{"app's configuration", "unless you know the app"})
	check(oauthTestFriend, OAuthPolicy{AllowedClients: map[string]bool{"google:" + oauthTestGClient: true}}, []string{"組織が許可しているアプリです"}, []string{"Your organisation allows this app."})
	check("https://login.microsoftonline.com/organizations/v2.0/adminconsent?client_id=c&scope=https://graph.microsoft.com/.default", OAuthPolicy{}, []string{"組織全体への権限付与（管理者の同意）", "アプリに登録されたすべての権限"}, []string{"whole organisation (admin consent)"})
	check("https://microsoft.com/devicelogin", OAuthPolicy{}, []string{"デバイスコード", "コードを入力しないでください"}, []string{"device-code page", "Do not enter any code."})
	check("https://github.com/login/oauth/authorize?client_id=abc&scope=repo%20admin:org", OAuthPolicy{}, []string{"すべてのリポジトリ（非公開を含む）の読み取りと変更、組織・鍵・Webhook の管理を"}, []string{"read and change all your repositories (private ones too) and get admin rights"})
	check("https://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=a%20b%20c%20d%20e%20f", OAuthPolicy{}, []string{"など6件の権限"}, []string{"and 2 more"})
	check("https://accounts.google.com/o/oauth2/v2/auth?client_id=x%0Aevil&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=email", OAuthPolicy{}, []string{"client_id: x evil", "戻り先: urn:ietf:wg:oauth:2.0:oob"}, nil)
	check("https://accounts.google.com/o/oauth2/v2/auth?client_id=x&redirect_uri=https%253A%252F%252FEvil.Example%252Fcb&scope=email", OAuthPolicy{}, []string{"戻り先: evil.example"}, nil)
}

// Evidence values are bounded and printable (they are attacker-chosen).
func TestOAuthEvidenceBounded(t *testing.T) {
	long := strings.Repeat("あ", 2000)
	in := "https://accounts.google.com/o/oauth2/v2/auth?client_id=" + url.QueryEscape(long) + "&scope=" + strings.Repeat("x%20", 3000) + "&prompt=a%0Db"
	rs := OAuthReasons([]string{in}, OAuthPolicy{})
	if len(rs) != 1 {
		t.Fatalf("%d reasons", len(rs))
	}
	oauthCheckReason(t, rs[0])
	for k, v := range rs[0].Evidence {
		if len(v) > oauthEvidenceMax+len("…") {
			t.Errorf("evidence[%s] is %d bytes", k, len(v))
		}
	}
	if n := utf8.RuneCountInString(rs[0].JA); n > 400 {
		t.Errorf("JA is %d runes", n)
	}
}

// oauthCheckReason checks what every OAuth reason promises.
func oauthCheckReason(t *testing.T, r verdict.Reason) {
	t.Helper()
	if r.Code != verdict.CodeOAuthConsent && r.Code != verdict.CodeOAuthHighRisk || !r.Level.Valid() || r.Level == verdict.Unknown {
		t.Errorf("reason %s/%s", r.Code, r.Level)
	}
	if (r.Code == verdict.CodeOAuthHighRisk) != (r.Level == verdict.Malicious) {
		t.Errorf("code %s with level %s", r.Code, r.Level)
	}
	if r.JA == "" || r.EN == "" || strings.ContainsAny(r.JA+r.EN, "\n\r\x00") || !utf8.ValidString(r.JA+r.EN) {
		t.Errorf("explanation %q / %q", r.JA, r.EN)
	}
	for _, k := range []string{"provider", "client_id", "redirect_host", "scopes", "prompt"} {
		if _, ok := r.Evidence[k]; !ok {
			t.Errorf("evidence lacks %s: %v", k, r.Evidence)
		}
	}
	for k, v := range r.Evidence {
		if !utf8.ValidString(v) || strings.ContainsAny(v, "\n\r\x00") {
			t.Errorf("evidence[%s] = %q", k, v)
		}
	}
}

func FuzzParseOAuth(f *testing.F) {
	for _, cl := range oauthCaseLists {
		cl.cases(func(in, _, _, _ string, _ ScopeRisk) { f.Add(in) }, func(in string) { f.Add(in) })
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, ok := ParseOAuth(in)
		if ok {
			if r.Provider == "" {
				t.Fatalf("ParseOAuth(%q): empty provider", in)
			}
			u, uok := oauthParseURL(in)
			if !uok || !strings.HasPrefix(u.String(), r.Endpoint) {
				t.Fatalf("ParseOAuth(%q): endpoint %q is not a prefix of %q (%v)", in, r.Endpoint, u.String(), uok)
			}
			if again, ok := ParseOAuth(u.String()); !ok || again.Provider != r.Provider || again.Endpoint != r.Endpoint {
				t.Fatalf("ParseOAuth(%q) = %s %s, normalised %q gives %s %s %v", in, r.Provider, r.Endpoint, u.String(), again.Provider, again.Endpoint, ok)
			}
			infos := RateScopes(r)
			if len(infos) == 0 {
				t.Fatalf("RateScopes(%q) is empty", in)
			}
			for _, si := range infos {
				if si.JA == "" || si.EN == "" || si.Risk.rank() < 0 {
					t.Fatalf("RateScopes(%q): %+v", in, si)
				}
			}
		}
		// ok: exactly one reason for the twice-repeated hop; not ok: none,
		// or one read from a sign-in page's continuation parameter.
		rs := OAuthReasons([]string{in, in}, OAuthPolicy{})
		if ok && len(rs) != 1 || len(rs) > 1 {
			t.Fatalf("OAuthReasons(%q) = %d reasons (ParseOAuth %v)", in, len(rs), ok)
		}
		for _, r := range rs {
			oauthCheckReason(t, r)
		}
	})
}

// The OAuth policy per provider (issue 11 item 5), each rule with a benign
// twin that must stay clean.
func TestOAuthPolicy(t *testing.T) {
	cases := []struct {
		name, url string
		level     verdict.Level
		ja, en    string // in the explanation, when set
	}{
		// Sign-in only is clean: the benign twins.
		{"google sign-in", "https://accounts.google.com/o/oauth2/v2/auth?client_id=9-x.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fshop.example%2Fcb&response_type=code&scope=openid%20profile%20email", verdict.Clean, "", ""},
		{"github no scope", "https://github.com/login/oauth/authorize?client_id=Iv1.abc&redirect_uri=https%3A%2F%2Fci.example%2Fcb&state=s", verdict.Clean, "公開情報", "see your public information"},
		{"microsoft User.Read", "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&scope=openid%20profile%20User.Read&response_type=code", verdict.Clean, "", ""},
		{"google implicit sign-in", "https://accounts.google.com/o/oauth2/v2/auth?client_id=9-x&redirect_uri=https%3A%2F%2Fshop.example%2Fcb&response_type=token&scope=openid%20email", verdict.Clean, "", ""},
		{"facebook code flow, public profile", "https://www.facebook.com/v19.0/dialog/oauth?client_id=1&redirect_uri=https%3A%2F%2Fshop.example%2Fcb&scope=public_profile,email", verdict.Clean, "", ""},
		{"redirect to the provider itself", "https://www.facebook.com/v19.0/dialog/oauth?client_id=1&redirect_uri=https%3A%2F%2Fwww.facebook.com%2Fconnect%2Flogin_success.html&scope=public_profile", verdict.Clean, "", ""},
		// Azure AD v1 resource without visible scope: at most suspicious.
		{"v1 graph resource with openid", "https://login.microsoftonline.com/common/oauth2/authorize?client_id=c&response_type=code&resource=https://graph.microsoft.com&scope=openid", verdict.Suspicious,
			"具体的な権限はこのリンクからは分かりません", "cannot be seen from the link"},
		{"v1 with admin consent stays malicious", "https://login.microsoftonline.com/common/oauth2/authorize?client_id=c&resource=https://graph.microsoft.com&prompt=admin_consent", verdict.Malicious, "", ""},
		{"v1 with mail scope stays malicious", "https://login.microsoftonline.com/common/oauth2/authorize?client_id=c&resource=https://graph.microsoft.com&scope=Mail.Read", verdict.Malicious, "", ""},
		// Mail, contacts, files, offline access with them: malicious.
		{"google mail", "https://accounts.google.com/o/oauth2/v2/auth?client_id=9-x&scope=https://mail.google.com/", verdict.Malicious, "", ""},
		{"microsoft contacts and offline", "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&scope=Contacts.Read%20offline_access", verdict.Malicious, "", "keep access even when you are not using it"},
		{"dropbox files", "https://www.dropbox.com/oauth2/authorize?client_id=d&scope=files.content.read&token_access_type=offline", verdict.Malicious, "", ""},
		{"google drive offline", "https://accounts.google.com/o/oauth2/v2/auth?client_id=9-x&scope=drive&access_type=offline", verdict.Malicious, "", ""},
		// Implicit grant for personal data: malicious; code flow suspicious.
		{"facebook implicit friends", "https://www.facebook.com/v19.0/dialog/oauth?client_id=1&redirect_uri=https%3A%2F%2Fquiz.example%2F&response_type=token&scope=user_friends,user_posts,user_photos,user_birthday", verdict.Malicious,
			"トークン", "handed straight to the page it returns to"},
		{"facebook code friends", "https://www.facebook.com/v19.0/dialog/oauth?client_id=1&redirect_uri=https%3A%2F%2Fquiz.example%2F&response_type=code&scope=user_friends,user_posts", verdict.Suspicious, "", ""},
		// A redirect_uri imitating the provider or a brand: malicious.
		{"redirect imitates google", "https://accounts.google.com/o/oauth2/v2/auth?client_id=9-x&redirect_uri=https%3A%2F%2Faccounts.google.com.verify-login.top%2Fcb&response_type=code&scope=openid%20email%20profile", verdict.Malicious,
			"に見せかけたドメイン", "imitates google.com"},
		{"redirect imitates a brand", "https://github.com/login/oauth/authorize?client_id=abc&redirect_uri=https%3A%2F%2Fpaypa1.com%2Fcb&scope=read:user", verdict.Malicious, "", "imitates"},
	}
	for _, c := range cases {
		rs := OAuthReasons([]string{c.url}, OAuthPolicy{})
		if len(rs) != 1 {
			t.Errorf("%s: %d reasons, want 1", c.name, len(rs))
			continue
		}
		r := rs[0]
		oauthCheckReason(t, r)
		if r.Level != c.level {
			t.Errorf("%s: level %s, want %s (%s)", c.name, r.Level, c.level, r.EN)
		}
		if !strings.Contains(r.JA, c.ja) || !strings.Contains(r.EN, c.en) {
			t.Errorf("%s: explanation %q / %q lacks %q / %q", c.name, r.JA, r.EN, c.ja, c.en)
		}
	}
	// The allowlist still wins, and the organisation's own domains count
	// as a brand for the redirect.
	const implicit = "https://www.facebook.com/v19.0/dialog/oauth?client_id=1&redirect_uri=https%3A%2F%2Fquiz.example%2F&response_type=token&scope=user_friends"
	if rs := OAuthReasons([]string{implicit}, OAuthPolicy{AllowedClients: map[string]bool{"facebook:1": true}}); len(rs) != 1 || rs[0].Level != verdict.Clean {
		t.Errorf("allowed implicit app: %+v", rs)
	}
	const own = "https://accounts.google.com/o/oauth2/v2/auth?client_id=9-x&redirect_uri=https%3A%2F%2Fkensa-corp-login.example%2Fcb&scope=openid"
	if rs := OAuthReasons([]string{own}, OAuthPolicy{OwnDomains: []string{"kensa-corp.co.jp"}}); len(rs) != 1 || rs[0].Level != verdict.Malicious || rs[0].Evidence["redirect_lookalike"] == "" {
		t.Errorf("redirect imitating the organisation: %+v", rs)
	}
	if rs := OAuthReasons([]string{own}, OAuthPolicy{}); len(rs) != 1 || rs[0].Level != verdict.Clean {
		t.Errorf("same redirect without own domains: %+v", rs)
	}
}

// A consent request set up by the page is judged like a navigation to it.
func TestOAuthJudgePageSetUp(t *testing.T) {
	const mail = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&redirect_uri=https%3A%2F%2Fdocs-share.example%2Fcb&response_type=code&scope=Mail.Read%20Files.Read%20offline_access"
	const signIn = "https://accounts.google.com/o/oauth2/v2/auth?client_id=9-x&redirect_uri=https%3A%2F%2Fshop.example%2Fcb&response_type=code&scope=openid%20profile%20email"
	page := func(link string) *capture.Report {
		return &capture.Report{URL: "https://docs-share.example/", FinalURL: "https://docs-share.example/", Links: []capture.Link{{URL: link, Text: "Open document"}}}
	}
	if v := Judge(page(mail), Policy{}); v.Level != verdict.Malicious {
		t.Errorf("page with a mail-and-files consent button: %s %+v", v.Level, v.Reasons)
	}
	if v := Judge(&capture.Report{URL: mail}, Policy{}); v.Level != verdict.Malicious {
		t.Errorf("navigation to the same request: %s", v.Level)
	}
	if v := Judge(page(signIn), Policy{}); v.Level != verdict.Clean {
		t.Errorf("page with a sign-in button: %s %+v", v.Level, v.Reasons)
	}
}
