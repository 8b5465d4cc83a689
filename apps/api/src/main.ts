import { placeholder } from '@ferry/domain';
console.log('api', placeholder);
