/** Text from the network or a user, made safe: control characters refused at the API, escaped in terminals and logs. */
export { controlCharacterName, escapeControlCharacters, escapeJson, escapeLines, firstControlCharacter, firstLoneSurrogate } from './controlCharacters.ts';
