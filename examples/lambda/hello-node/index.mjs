// The Node.js hello-world function: an async handler returning an API-style response.
export const handler = async (event, context) => {
  console.log("event", JSON.stringify(event));
  return { statusCode: 200, body: JSON.stringify({ message: `Hello, ${event.name ?? "world"}!`, requestId: context.awsRequestId }) };
};
