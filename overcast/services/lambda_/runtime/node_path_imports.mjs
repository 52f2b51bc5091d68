// Module resolution hooks (node:module register) that give `import` the NODE_PATH fallback that
// `require` has. Node resolves an import's bare specifier only from node_modules directories above
// the importing file and never reads NODE_PATH; AWS's Node.js 18+ runtimes also resolve imports from
// the layers' node_modules and from the SDK they carry (/var/runtime/node_modules), in NODE_PATH's
// order. So: resolve as Node does, and only when that finds no package, resolve again as if
// imported from a file beside each NODE_PATH node_modules directory in turn. A package the
// function bundles is found by the first, ordinary resolution, so it always wins.
import path from "node:path";
import { pathToFileURL } from "node:url";

let parentURLs = [];
let directoriesKnown = Promise.resolve();

function parentURLsOf(directories) {
  return directories.map((dir) => pathToFileURL(path.join(path.dirname(dir), "overcast-node-path-import.mjs")).href);
}

// The directories come with the registration, or, in a spare process started before its function
// was known, as one message on `port` once it is.
export function initialize(data) {
  if (data.port === undefined) {
    parentURLs = parentURLsOf(data.directories);
    return;
  }
  directoriesKnown = new Promise((resolve) => {
    data.port.once("message", (directories) => {
      parentURLs = parentURLsOf(directories);
      data.port.close();
      resolve();
    });
  });
}

// Relative, absolute, URL and package-internal ("#x") specifiers never come from NODE_PATH.
function isBare(specifier) {
  return !/^(\.{0,2}\/|#|[a-zA-Z][a-zA-Z0-9+.-]*:)/.test(specifier);
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (!error || error.code !== "ERR_MODULE_NOT_FOUND" || !isBare(specifier)) throw error;
    await directoriesKnown;
    for (const parentURL of parentURLs) {
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch (e) {
        if (!e || e.code !== "ERR_MODULE_NOT_FOUND") throw e;
      }
    }
    throw error;  // Node's own error, naming the function's file, as without these hooks
  }
}
