/**
 * Error messages from llama.cpp, node-llama-cpp and the file system quote absolute paths (the model file, a
 * source file of the native build). A path says where the data dir is and who the user is, so what reaches a
 * client names files by their base name only.
 */

/** An absolute path: `/` then segments, not inside a URL (`http://host/x`) or a relative path (`a/b`). */
const ABSOLUTE_PATH = /(?<![\w:/.~-])\/(?:[\w.+@~-]+\/)*[\w.+@~-]+/g;

/** `message` with every absolute path in it cut to its base name (`/data/models/x/model.gguf` → `model.gguf`). */
export function scrubPaths(message: string): string {
  return message.replace(ABSOLUTE_PATH, (path) => path.slice(path.lastIndexOf("/") + 1));
}
