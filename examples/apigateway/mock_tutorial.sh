#!/usr/bin/env bash
# The classic API Gateway tutorial, with the AWS CLI instead of the console:
# a GET method on /mock with a MOCK integration whose request template picks the status code
# from the `cloudService` query string parameter (AWS -> 200, missing -> 400, anything else -> 500),
# a method response and an integration response (with its body mapping template) per code,
# TestInvokeMethod for each case, and a deployment to the `test` stage.
#
#   AWS_ENDPOINT_URL=http://localhost:4566 ./mock_tutorial.sh
#
# Prints the invoke URL on its last line; try  curl "<url>?cloudService=AWS".
set -euo pipefail

source "$(dirname "$0")/common.sh"
API_NAME="${API_NAME:-CloudServiceMock}"

# 1. The API and its /mock resource.
api_id=$(aws apigateway create-rest-api --name "$API_NAME" --description "The mock integration tutorial" \
  --query id --output text)
root_id=$(root_resource_id "$api_id")
resource_id=$(aws apigateway create-resource --rest-api-id "$api_id" --parent-id "$root_id" \
  --path-part mock --query id --output text)

# 2. Method request: GET with the cloudService query string parameter.
aws apigateway put-method --rest-api-id "$api_id" --resource-id "$resource_id" --http-method GET \
  --authorization-type NONE --request-parameters method.request.querystring.cloudService=false >/dev/null

# 3. Integration request: MOCK, with a body mapping template that chooses the status code.
cat > "$work/request-templates.json" <<'JSON'
{
  "application/json": "{\n#if( $input.params('cloudService') == \"AWS\" )\n  \"statusCode\": 200\n#elseif( $input.params('cloudService') == \"\" )\n  \"statusCode\": 400\n#else\n  \"statusCode\": 500\n#end\n}"
}
JSON
aws apigateway put-integration --rest-api-id "$api_id" --resource-id "$resource_id" --http-method GET \
  --type MOCK --request-templates "file://$work/request-templates.json" >/dev/null

# 4. Method responses for 200, 400 and 500.
for code in 200 400 500; do
  aws apigateway put-method-response --rest-api-id "$api_id" --resource-id "$resource_id" --http-method GET \
    --status-code "$code" --response-models application/json=Empty >/dev/null
done

# 5. Integration responses with their body mapping templates. 200 is the default (no pattern);
#    400 and 500 are selected by matching the mock's status code.
cat > "$work/200.json" <<'JSON'
{"application/json": "{\n  \"cloudService\": \"$input.params('cloudService')\",\n  \"message\": \"Welcome to serverless: $input.params('cloudService') answered from a mock integration\"\n}"}
JSON
cat > "$work/400.json" <<'JSON'
{"application/json": "{\n  \"error\": \"Bad Request\",\n  \"message\": \"Choose a cloud service with the cloudService query string parameter\"\n}"}
JSON
cat > "$work/500.json" <<'JSON'
{"application/json": "{\n  \"error\": \"Internal Server Error\",\n  \"message\": \"$util.escapeJavaScript($input.params('cloudService')) is not supported here\"\n}"}
JSON
aws apigateway put-integration-response --rest-api-id "$api_id" --resource-id "$resource_id" --http-method GET \
  --status-code 200 --response-templates "file://$work/200.json" >/dev/null
aws apigateway put-integration-response --rest-api-id "$api_id" --resource-id "$resource_id" --http-method GET \
  --status-code 400 --selection-pattern 400 --response-templates "file://$work/400.json" >/dev/null
aws apigateway put-integration-response --rest-api-id "$api_id" --resource-id "$resource_id" --http-method GET \
  --status-code 500 --selection-pattern '5\d{2}' --response-templates "file://$work/500.json" >/dev/null

# 6. Test the method before deploying it, as the console's Test button does.
for query in "cloudService=AWS" "" "cloudService=Azure"; do
  status=$(aws apigateway test-invoke-method --rest-api-id "$api_id" --resource-id "$resource_id" \
    --http-method GET --path-with-query-string "/mock${query:+?$query}" --query status --output text)
  echo "test-invoke-method /mock${query:+?$query} -> $status" >&2
done

# 7. Deploy to the `test` stage.
aws apigateway create-deployment --rest-api-id "$api_id" --stage-name test \
  --description "First deployment of the mock tutorial" >/dev/null

echo "api id: $api_id" >&2
echo "$(invoke_url "$api_id" test)/mock"
