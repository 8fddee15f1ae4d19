[System.Environment]::SetEnvironmentVariable('CF_API_TOKEN', 'VfPHot4R27JZdQ3suXlCtz8irzE0PzNH09gwGz6a', 'Machine')
Set-Item -Path Env:HF_TOKEN -Value "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"
$Env:XAI_API_KEY = "xai-2D7715OIRHuX9Tip8Gsffdq7h5epAy3eUOarDHiFa3CKxvjr3qEaH9gXtG2SKJ2IHV0zzqBEWH1ncl3p"
[Environment]::SetEnvironmentVariable("PATH", "$env:PATH;C:\\tools", "User")
$env:CLOUDFLARE_API_TOKEN = (Get-Secret -Name cf -AsPlainText)
