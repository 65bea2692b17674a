/** The bottom layer's private files: secrets 0600 in 0700 directories, written atomically. */
export {
  ensurePrivateDir,
  ensurePrivateDirSync,
  preparePrivateFileSync,
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
  tightenPrivateFile,
  tightenPrivateFileSync,
  type Warn,
  warnOnStderr,
  writeFileAtomic,
  writePrivateFile,
  writePrivateJson,
} from './privateFiles.ts';
export { type JsonReadFailure, readJsonFile } from './jsonFile.ts';
export { asStorageError, StorageError, type StorageErrorCode, storageCodeOf } from './storageError.ts';
export { withFileLock } from './fileLock.ts';
