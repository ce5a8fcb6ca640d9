// s3rver 3.7.1 answers some listings in the namespace "http://doc.s3.amazonaws.com/2006-03-01/"; S3 and MinIO use
// "http://s3.amazonaws.com/doc/2006-03-01/", and the MinIO .NET SDK reads a list in another namespace as empty.
const fs = require('fs');
const path = require('path');

const wrong = 'http://doc.s3.amazonaws.com/2006-03-01/';
const right = 'http://s3.amazonaws.com/doc/2006-03-01/';
const controllers = path.join(__dirname, 'node_modules', 's3rver', 'lib', 'controllers');
for (const file of fs.readdirSync(controllers)) {
  const full = path.join(controllers, file);
  const text = fs.readFileSync(full, 'utf8');
  if (text.includes(wrong)) {
    fs.writeFileSync(full, text.split(wrong).join(right));
    console.log(`s3rver: fixed the S3 XML namespace in ${file}`);
  }
}
