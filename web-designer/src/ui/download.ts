// A file the app made or the server sent, saved by the browser under a name.

/// Saves `blob` as `name` (the browser's own download, from memory).
export function saveBlob(blob: Blob, name: string) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  URL.revokeObjectURL(link.href);
}
