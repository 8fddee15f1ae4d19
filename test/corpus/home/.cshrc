# .cshrc
set path = ( $path $HOME/bin )
setenv EDITOR vim
setenv CLOUDFLARE_API_KEY cfk_UQkVwhVXw1fZmsp6UFaAMWRIyNdZKtetCd4hDvbYda79f789
setenv CLOUDFLARE_EMAIL ops@example.com
set cf_token = pU5q9k3EXH1MCK1E4784DCgJB1LBNrNtsXnhIRXS
set GH_TOKEN=ghu_evgsYjJLN7xOdJNktuDztqO9YC6tDdCcpAXZ
setenv AWS_ACCESS_KEY_ID ASIAV1R05GQT3LVTSI0W
setenv AWS_SECRET_ACCESS_KEY "8UjZm1UCFoOKi2V73rclta6ETL952T18Ugm2/szN"
alias deploy 'env CLOUDFLARE_API_TOKEN=$CF_TOKEN wrangler deploy'
