#!/usr/bin/env bash
# A non-proxy Lambda API: GET /pets/{id} integrated as AWS (not AWS_PROXY). A request mapping
# template turns the HTTP request into the function's event; integration responses turn the
# function's answer back into HTTP: the default one renders the pet with a response template,
# and errors are mapped by selectionPattern against the function's errorMessage
# ("NotFound: ..." -> 404, anything else -> 400).
#
#   AWS_ENDPOINT_URL=http://localhost:4566 ./lambda_non_proxy.sh
#
# Prints the invoke URL on its last line; try  curl <url>/pets/1  and  curl <url>/pets/9
set -euo pipefail

: "${AWS_ENDPOINT_URL:=http://localhost:4566}"
export AWS_ENDPOINT_URL AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
here="$(cd "$(dirname "$0")" && pwd)"
suffix="${SUFFIX:-$RANDOM}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$here/pets-function" && python3 -m zipfile -c "$work/pets.zip" lambda_function.py)
function_arn=$(aws lambda create-function --function-name "pets-$suffix" --runtime python3.12 \
  --handler lambda_function.lambda_handler --role arn:aws:iam::000000000000:role/lambda-role \
  --zip-file "fileb://$work/pets.zip" --query FunctionArn --output text)
aws lambda wait function-active-v2 --function-name "pets-$suffix"

api_id=$(aws apigateway create-rest-api --name "pets-$suffix" --query id --output text)
root_id=$(aws apigateway get-resources --rest-api-id "$api_id" --query 'items[?path==`/`].id' --output text)
pets_id=$(aws apigateway create-resource --rest-api-id "$api_id" --parent-id "$root_id" --path-part pets \
  --query id --output text)
pet_id=$(aws apigateway create-resource --rest-api-id "$api_id" --parent-id "$pets_id" --path-part '{id}' \
  --query id --output text)
aws apigateway put-method --rest-api-id "$api_id" --resource-id "$pet_id" --http-method GET \
  --authorization-type NONE --request-parameters method.request.path.id=true >/dev/null

cat > "$work/request.json" <<'JSON'
{"application/json": "{\n  \"action\": \"get\",\n  \"id\": \"$util.escapeJavaScript($input.params('id'))\",\n  \"requestId\": \"$context.requestId\"\n}"}
JSON
aws apigateway put-integration --rest-api-id "$api_id" --resource-id "$pet_id" --http-method GET \
  --type AWS --integration-http-method POST \
  --uri "arn:aws:apigateway:${AWS_DEFAULT_REGION}:lambda:path/2015-03-31/functions/${function_arn}/invocations" \
  --request-templates "file://$work/request.json" >/dev/null

for code in 200 400 404; do
  aws apigateway put-method-response --rest-api-id "$api_id" --resource-id "$pet_id" --http-method GET \
    --status-code "$code" >/dev/null
done
cat > "$work/200.json" <<'JSON'
{"application/json": "#set($pet = $input.path('$'))\n{\"pet\": \"$pet.name\", \"kind\": \"$pet.kind\", \"link\": \"/pets/$pet.id\"}"}
JSON
cat > "$work/error.json" <<'JSON'
{"application/json": "{\"error\": \"$util.escapeJavaScript($input.path('$.errorMessage'))\"}"}
JSON
aws apigateway put-integration-response --rest-api-id "$api_id" --resource-id "$pet_id" --http-method GET \
  --status-code 200 --response-templates "file://$work/200.json" >/dev/null
aws apigateway put-integration-response --rest-api-id "$api_id" --resource-id "$pet_id" --http-method GET \
  --status-code 404 --selection-pattern 'NotFound:.*' --response-templates "file://$work/error.json" >/dev/null
aws apigateway put-integration-response --rest-api-id "$api_id" --resource-id "$pet_id" --http-method GET \
  --status-code 400 --selection-pattern '.+' --response-templates "file://$work/error.json" >/dev/null

aws lambda add-permission --function-name "pets-$suffix" --statement-id apigateway \
  --action lambda:InvokeFunction --principal apigateway.amazonaws.com \
  --source-arn "arn:aws:execute-api:${AWS_DEFAULT_REGION}:000000000000:${api_id}/*/GET/pets/*" >/dev/null
aws apigateway create-deployment --rest-api-id "$api_id" --stage-name prod >/dev/null

host="${AWS_ENDPOINT_URL#*://}"
echo "http://${api_id}.execute-api.localhost:${host##*:}/prod"
