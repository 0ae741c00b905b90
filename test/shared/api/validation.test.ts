import { describe, expect, it } from 'vitest';
import { isConfigMapKey, isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isValidLabelValue } from '../../../shared/api/validation.ts';

const DNS1123_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_LABEL =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const CONFIG_KEY =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

describe('the length-and-format name checks', () => {
  it.each([
    ['isDNS1123Label', isDNS1123Label, 'my-name', []],
    ['isDNS1123Label', isDNS1123Label, 'My-Name', [DNS1123_LABEL]],
    ['isDNS1123Label', isDNS1123Label, 'a'.repeat(64), ['must be no more than 63 characters']],
    ['isDNS1123Label', isDNS1123Label, `${'a'.repeat(63)}-`, ['must be no more than 63 characters', DNS1123_LABEL]],
    ['isDNS1123Subdomain', isDNS1123Subdomain, 'example.com', []],
    ['isDNS1123Subdomain', isDNS1123Subdomain, `${'a'.repeat(253)}.`, ['must be no more than 253 characters', DNS1123_SUBDOMAIN]],
    ['isDNS1035Label', isDNS1035Label, 'abc-123', []],
    ['isDNS1035Label', isDNS1035Label, '1abc', [DNS1035_LABEL]],
    ['isValidLabelValue', isValidLabelValue, '', []],
    ['isValidLabelValue', isValidLabelValue, '-x', [LABEL_VALUE]],
    ['isValidLabelValue', isValidLabelValue, 'a'.repeat(64), ['must be no more than 63 characters']],
    ['isConfigMapKey', isConfigMapKey, 'KEY_NAME', []],
    ['isConfigMapKey', isConfigMapKey, `${'a'.repeat(253)}!`, ['must be no more than 253 characters', CONFIG_KEY]],
    ['isConfigMapKey', isConfigMapKey, '..', ["must not be '..'"]],
  ])('%s(%j) reports the apiserver wording', (_, check: (v: string) => string[], value, expected) => {
    expect(check(value)).toEqual(expected);
  });
});
