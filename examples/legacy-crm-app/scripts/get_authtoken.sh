#!/bin/sh
# Generate a Zoho CRM auth token for the crm-sync user and save Zoho's answer
# next to this script. Tokens never expire; only run this again if the token
# was deleted under Zoho Accounts > Active Authtokens.
#
# Usage: scripts/get_authtoken.sh [display-name]

EMAIL_ID="crm-sync@acme.example"
PASSWORD='Winter2016!crm'
DISPLAY_NAME="${1:-acme-crm-sync}"
OUT="$(dirname "$0")/authtoken.txt"

curl -s -X POST -o "$OUT" \
  "https://accounts.zoho.com/apiauthtoken/nb/create?SCOPE=ZohoCRM/crmapi&EMAIL_ID=${EMAIL_ID}&PASSWORD=${PASSWORD}&DISPLAY_NAME=${DISPLAY_NAME}"

if grep -q '^RESULT=TRUE' "$OUT"; then
  echo "New token: $(sed -n 's/^AUTHTOKEN=//p' "$OUT")"
  echo "Put it in .env (ZOHO_AUTHTOKEN) and deploy/k8s/zoho-secret.yaml"
  exit 0
fi

case "$(sed -n 's/^CAUSE=//p' "$OUT")" in
  EXCEEDED_MAXIMUM_ALLOWED_AUTHTOKENS)
    echo "Too many tokens: delete old ones under Accounts > Active Authtokens" >&2 ;;
  INVALID_PASSWORD|INVALID_CREDENTIALS)
    echo "Wrong password for $EMAIL_ID" >&2 ;;
  WEB_LOGIN_REQUIRED)
    echo "2FA is on: use an application-specific password" >&2 ;;
  *)
    cat "$OUT" >&2 ;;
esac
exit 1
